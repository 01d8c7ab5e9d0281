#!/usr/bin/env bash
# One prepared call on a lent GPU machine: the defense campaign's finalists and the released model's checked
# evaluation, inside a wall-time budget, with every record written under OUT (see docs/defense.md, "A prepared
# GPU call"). Nothing in the project depends on this script; it only saves device time.
#
# Here, first (downloads the wheels the device lacks into .whl/, converts JSRT at --size into WORK/data_SIZE):
#   benchmarks/gpu_campaign.sh --prepare
# On the device (python3 with torch, no network), with carry [".whl", "runs/gpu/data_128"]:
#   bash benchmarks/gpu_campaign.sh --device cuda --out "$OUT"
#
# The stages, each with a UTC time stamp before and after, each skipped when it finished in an earlier
# invocation on the same machine (a marker in WORK), each bounded by what is left of --budget-s:
#   1. train a finalist: benchmarks/defense_campaign.sh --runs NAME (its run table, overrides and config files,
#      then its clean DIC on the validation cases and on the whole test set and its screen, the worst case of
#      configs/attacks/strong.json with configs/attacks/budget_js300.json at eps 8 and 32 on the SELECTION images
#      into WORK/NAME/worst/, so that campaign_table has a whole line);
#   2. check it: the four gradient-masking checks added to that screen's store (on a --sample of its images;
#      the worst case is not computed again), with the run's overrides as the campaign recorded them
#      (WORK/NAME/overrides.txt);
#      stages 1 and 2 run finalist by finalist: a finalist is trained only when the time the previous one took
#      (training and evaluation) is still left, so that fewer finalists finish rather than more half-finish;
#   3. the released model on the REPORTING images: benchmarks/release_evaluation.sh --procs 1 --record
#      OUT/release_reporting with REPORTING_BUDGET, which resumes from that record (started from the committed
#      REPORTING_RECORD when there is one: benchmarks/released_records.sh) and keeps it when stopped at the budget;
#   4. the records: every per-image record, the clean DIC files and the training logs of each finalist, the
#      campaign table and the stage table, packed into OUT/records.tar.gz; each finalist's model.pt into
#      OUT/models/NAME.pt (the device brings back at most 8 files, 16 MiB each, 64 MiB in all: the loose
#      per-run folders would not come back).
# A stage that would start with less than --min-stage-s left (or less than its estimate) is skipped and says
# so; stage 4 always runs. Exit status: 1 when a stage failed (the others still ran), else 0.
#
# usage: benchmarks/gpu_campaign.sh [--prepare] [--out DIR] [--work DIR] [--data-dir DIR] [--finalists "NAME ..."]
#                                   [--epochs N] [--size N] [--budget-s S] [--min-stage-s S] [--sample F]
#                                   [--device auto|cuda|cpu] [--threads N] [--no-release] [--quick]
#   --prepare     here, before the device call: the wheels (.whl/, pinned to this environment's versions; listed
#                 in .git/info/exclude) and the data (WORK/data_SIZE, checked under the 64 MiB carry limit)
#   --out         where the records go (the device's $OUT; required except with --prepare)
#   --work        the working folder (default runs/gpu; --quick: runs/gpu_quick), git-ignored, kept between
#                 calls on a warm machine; the campaign's run folders are WORK/NAME
#   --data-dir    a JSRT PNG folder (images/, masks/; default ../shared/data/jsrt_png) or a converted one
#                 (datalist.json); used only when WORK/data_SIZE does not exist
#   --finalists   the runs of defense_campaign.sh to train and evaluate (default: at32_adv and at32_mix_cw25, the two runs
#                 that are higher than the released model at eps 32 and lower at eps 8 and clean, whose models the CPU
#                 campaign did not keep: their weights and checked screens, for a decision on a trade-off release);
#                 "" trains none
#   --epochs N    the finalists' epochs (default 30); --size N the image side (default 128)
#   --budget-s    the wall time of the whole invocation, from its start (default 540)
#   --min-stage-s the least time left that a stage starts with (default 60; --quick 0)
#   --sample      the share of the images the gradient-masking checks run on (default 0.25; --quick 1.0)
#   --device      cuda: stop unless torch sees a GPU; cpu: hide the GPUs; auto (default): what torch sees.
#                 The bundle configs pick their device themselves (train.json: cuda:0 when available).
#   --threads     torch's CPU threads (default: 8 on a GPU, else 1)
#   --no-release  skip stage 3
#   --quick       a CPU smoke run of every stage: 64 px, 2 epochs, 2 attack iterations, 10 Square queries,
#                 the first 2 selection and 2 reporting images (tests/benchmarks/test_gpu_campaign.py)
set -euo pipefail
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
ARGS=("$@")
PREPARE=0 OUT="" WORK="" DATA_DIR=../shared/data/jsrt_png FINALISTS="at32_adv at32_mix_cw25"
EPOCHS=30 SIZE=128 BUDGET_S=540 MIN_STAGE_S=60 SAMPLE=0.25 DEVICE=auto THREADS="" RELEASE=1 QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prepare) PREPARE=1 ;;
    --out) OUT=$2; shift ;;
    --work) WORK=$2; shift ;;
    --data-dir) DATA_DIR=$2; shift ;;
    --finalists) FINALISTS=$2; shift ;;
    --epochs) EPOCHS=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --budget-s) BUDGET_S=$2; shift ;;
    --min-stage-s) MIN_STAGE_S=$2; shift ;;
    --sample) SAMPLE=$2; shift ;;
    --device) DEVICE=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --no-release) RELEASE=0 ;;
    --quick) QUICK=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
BUDGET=() SELECTION="\$nlcen_monai.data.evaluation_subset(@dataset_dir, 'selection')"
REPORTING="\$nlcen_monai.data.evaluation_subset(@dataset_dir, 'reporting')"
if [ "$QUICK" = 1 ]; then  # the options given win over these
  not_given() { for a in "${ARGS[@]}"; do [ "$a" != "$1" ] || return 1; done; }
  not_given --size && SIZE=64
  not_given --epochs && EPOCHS=2
  not_given --min-stage-s && MIN_STAGE_S=0
  not_given --sample && SAMPLE=1.0
  BUDGET=(--attack_iterations 2 --square_queries 10) SELECTION="$SELECTION[:2]" REPORTING="$REPORTING[:2]"
fi
[ -n "$WORK" ] || { WORK=runs/gpu; [ "$QUICK" = 0 ] || WORK=runs/gpu_quick; }
case "$DEVICE" in auto|cuda|cpu) ;; *) echo "--device must be auto, cuda or cpu" >&2; exit 2 ;; esac
[ "$DEVICE" != cpu ] || export CUDA_VISIBLE_DEVICES=""
B=bundles/nlcen_jsrt
DATA=$WORK/data_$SIZE
stamp() { echo "[$(date -u +%Y-%m-%dT%H:%M:%SZ)] $*"; }

# the data at --size in WORK/data_SIZE, from a PNG folder or a converted one (copied)
convert_data() {
  [ ! -f "$DATA/datalist.json" ] || return 0
  mkdir -p "$WORK"
  if [ -f "$DATA_DIR/datalist.json" ]; then
    cp -rL "$DATA_DIR" "$DATA"
  elif [ -d "$DATA_DIR/images" ]; then
    stamp "converting $DATA_DIR at $SIZE px into $DATA"
    $PY data_prep/jsrt.py --png-dir "$DATA_DIR" --out "$DATA" --size "$SIZE" > "$WORK/data_$SIZE.log" 2>&1 \
      || { tail -n 20 "$WORK/data_$SIZE.log" >&2; exit 1; }
  else
    echo "no data: neither $DATA/datalist.json nor a JSRT PNG folder at $DATA_DIR (run --prepare here first," \
         "then carry $DATA)" >&2
    exit 1
  fi
}

if [ "$PREPARE" = 1 ]; then
  [ -n "${PYTHON:-}" ] || [ ! -x .venv/bin/python ] || PY=.venv/bin/python  # the versions to pin, the converter
  exclude=$(git rev-parse --git-path info/exclude)
  mkdir -p "$(dirname "$exclude")"
  grep -qxE '/?\.whl/?' "$exclude" 2>/dev/null || { echo "/.whl/" >> "$exclude"; echo "added /.whl/ to $exclude"; }
  # the packages the device lacks, at this environment's versions (one version each: two stop the install)
  read -r -a wheels <<< "$($PY -c "import importlib.metadata as m
print(' '.join(f'{n}=={m.version(n)}' for n in ('monai', 'pytorch-ignite', 'nibabel', 'fire', 'termcolor')))")"
  stamp "downloading ${wheels[*]} into .whl/"
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux2014_x86_64 -d .whl "${wheels[@]}"
  for w in "${wheels[@]}"; do  # older versions of the same packages, left by an earlier --prepare
    stem=${w%%==*}; stem=${stem//-/_}
    for f in .whl/"$stem"-*.whl; do
      [ -e "$f" ] && [[ $f != .whl/"$stem-${w##*==}"-* ]] && { echo "removing $f (another version)"; rm -f "$f"; }
    done
  done
  convert_data
  data_bytes=$(du -sbL "$DATA" | cut -f1) whl_bytes=$(du -sb .whl | cut -f1)
  tree_bytes=$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -n 1 | cut -f1 || true)
  mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
  echo "data $DATA: $(mib "$data_bytes"); wheels .whl: $(mib "$whl_bytes"); the tree that travels besides: $(mib "$tree_bytes")"
  [ "$data_bytes" -lt $((64 * 1048576)) ] || { echo "the data is over the 64 MiB carry limit" >&2; exit 1; }
  total=$((data_bytes + whl_bytes + tree_bytes))
  [ "$total" -lt $((64 * 1048576)) ] || { echo "together $(mib "$total"): over the 64 MiB the device call takes" >&2; exit 1; }
  echo "together $(mib "$total") of 64 MiB. The device call: run with carry [\".whl\", \"$DATA\"] and"
  echo "  bash benchmarks/gpu_campaign.sh --device cuda --out \"\$OUT\""
  exit 0
fi

[ -n "$OUT" ] || { echo "--out DIR is required" >&2; exit 2; }
mkdir -p "$OUT"
if [ -z "${GPU_CAMPAIGN_LOGGED:-}" ]; then  # everything printed also goes into OUT/gpu_campaign.log
  set +e
  GPU_CAMPAIGN_LOGGED=1 GPU_CAMPAIGN_T0=$(date +%s) bash "$SELF" "${ARGS[@]}" 2>&1 | tee -a "$OUT/gpu_campaign.log"
  exit "${PIPESTATUS[0]}"
fi
T0=$GPU_CAMPAIGN_T0
stamp "gpu_campaign: budget ${BUDGET_S} s, finalists '${FINALISTS}', ${SIZE} px, ${EPOCHS} epochs, work $WORK"

# the packages the device lacks, from the wheels --prepare downloaded
if ! $PY -c "import importlib.util as u, sys
sys.exit(any(u.find_spec(m) is None for m in ('monai', 'ignite', 'nibabel', 'fire', 'termcolor')))"; then
  stamp "installing .whl/*.whl into /tmp/site"
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:$PWD
  stamp "installed"
fi
export PYTHON=$PY  # for the scripts called below (their default, `python`, may not be this interpreter)
CUDA=0
[ "$DEVICE" = cpu ] || CUDA=$($PY -c "import torch, sys
cuda = torch.cuda.is_available()
print(f'python {sys.version.split()[0]}, torch {torch.__version__}, device ' + (torch.cuda.get_device_name(0) if cuda else 'cpu'), file=sys.stderr)
print(int(cuda))")
[ "$CUDA" = 1 ] || [ "$DEVICE" != cuda ] || { echo "--device cuda: torch sees no GPU" >&2; exit 1; }
[ -n "$THREADS" ] || { THREADS=1; [ "$CUDA" = 0 ] || THREADS=8; }
export OMP_NUM_THREADS=$THREADS
if ! command -v flock > /dev/null; then  # defense_campaign.sh locks its run folders; one process here needs no lock
  mkdir -p "$WORK/bin" && printf '#!/bin/sh\nexit 0\n' > "$WORK/bin/flock" && chmod +x "$WORK/bin/flock"
  PATH=$(cd "$WORK/bin" && pwd):$PATH
  stamp "no flock on this machine: a no-op one in $WORK/bin"
fi
convert_data
DATA=$(cd "$DATA" && pwd)
source benchmarks/released_records.sh  # RELEASE_RESULTS, REPORTING_RECORD, REPORTING_BUDGET: the release's records
source benchmarks/evaluation_overrides.sh  # evaluation_overrides: a run's overrides without the trainer's
mkdir -p "$WORK/logs"
STAGES=$WORK/stages.tsv
[ -f "$STAGES" ] || printf 'utc\tstage\tname\tstatus\tseconds\tnote\n' > "$STAGES"
FAILED=0

left() { echo $((T0 + BUDGET_S - $(date +%s))); }
record_stage() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$@" >> "$STAGES"; }
# run_stage STAGE NAME MARKER NEED LOG COMMAND...: skipped when MARKER exists or less than max(NEED,
# --min-stage-s) seconds are left; else COMMAND runs into LOG under what is left of the budget; MARKER is
# written when it succeeds. Sets STAGE_STATUS (done, earlier, skipped, cut, failed) and STAGE_SECONDS.
run_stage() {
  local stage=$1 name=$2 marker=$3 need=$4 log=$5 rest start rc=0
  shift 5
  STAGE_SECONDS=0
  if [ -f "$marker" ]; then
    stamp "stage $stage $name: finished in an earlier invocation, skipped"
    STAGE_STATUS=earlier; record_stage "$stage" "$name" earlier 0 ""; return 0
  fi
  rest=$(left)
  [ "$need" -ge "$MIN_STAGE_S" ] || need=$MIN_STAGE_S
  if [ "$rest" -le 0 ] || [ "$rest" -lt "$need" ]; then
    stamp "stage $stage $name: skipped (budget): $rest s of ${BUDGET_S} s left, it needs about $need s"
    STAGE_STATUS=skipped; record_stage "$stage" "$name" skipped 0 "left $rest s, needs $need s"; return 0
  fi
  stamp "stage $stage $name: start ($rest s of the budget left; log $log)"
  start=$(date +%s)
  timeout --signal=TERM --kill-after=60 "$rest" "$@" >> "$log" 2>&1 || rc=$?
  STAGE_SECONDS=$(($(date +%s) - start))
  if [ "$rc" = 0 ]; then
    touch "$marker"; STAGE_STATUS=done
    stamp "stage $stage $name: done in $STAGE_SECONDS s"
  elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    STAGE_STATUS=cut
    stamp "stage $stage $name: cut off at the budget after $STAGE_SECONDS s (what it wrote so far is kept)"
  else
    STAGE_STATUS=failed FAILED=1
    tail -n 30 "$log" | sed 's/^/    /'
    stamp "stage $stage $name: FAILED (exit $rc) after $STAGE_SECONDS s; the next stages still run"
  fi
  record_stage "$stage" "$name" "$STAGE_STATUS" "$STAGE_SECONDS" "exit $rc"
}

# stages 1 and 2, finalist by finalist
EST_TRAIN=0 EST_EVAL=0
for name in $FINALISTS; do
  dir=$WORK/$name
  mkdir -p "$dir"
  run_stage 1 "train $name" "$dir/gpu_train.done" $((EST_TRAIN + EST_EVAL)) "$WORK/logs/$name.train.log" \
    bash benchmarks/defense_campaign.sh --out "$WORK" --runs "$name" --size "$SIZE" --epochs "$EPOCHS" \
    --threads "$THREADS" --data-dir "$DATA" -- "${BUDGET[@]}"
  [ "$STAGE_STATUS" != done ] || EST_TRAIN=$STAGE_SECONDS
  if [ ! -f "$dir/gpu_train.done" ]; then
    stamp "stage 2 evaluate $name: skipped, no finished training"; record_stage 2 "evaluate $name" skipped 0 "no training"
    continue
  fi
  # the run's overrides as the campaign wrote them: its table's, without the config files after " + ", and
  # without the trainer's arguments, which only the training reads
  read -r -a overrides <<< "$(sed 's/ + .*//; s/(undefended)//' "$dir/overrides.txt")"
  evaluation_overrides "${overrides[@]}"
  run_stage 2 "evaluate $name" "$dir/gpu_worst.done" "$EST_EVAL" "$WORK/logs/$name.worst.log" \
    $PY -m monai.bundle run --config_file "['$B/configs/train.json','$B/configs/adversarial.json','configs/attacks/strong.json','configs/attacks/budget_js300.json']" \
    --dataset_dir "$DATA" --num_workers 0 --num_threads "$THREADS" --progress_bar false "${EVALUATION_OVERRIDES[@]}" "${BUDGET[@]}" \
    --epsilons "[8, 32]" --checks#sample "$SAMPLE" --test_list "$SELECTION" \
    --ckpt_dir "$dir/models" --output_dir "$dir/worst"
  [ "$STAGE_STATUS" != done ] || EST_EVAL=$STAGE_SECONDS
done

# stage 3: the released model on the reporting images, resumed from its record
if [ "$RELEASE" = 1 ]; then
  mkdir -p "$WORK/release" "$OUT/release_reporting"
  ln -sfn "$DATA" "$WORK/release/data_$SIZE"
  committed=$REPORTING_RECORD
  if [ "$QUICK" = 0 ] && [ -f "$committed/robustness_per_image.csv" ] \
      && [ ! -f "$WORK/release/robustness/robustness_per_image.csv" ] && [ ! -f "$OUT/release_reporting/robustness_per_image.csv" ]; then
    stamp "stage 3: starting from the committed record $committed"
    cp "$committed"/robustness* "$OUT/release_reporting/"
  fi
  run_stage 3 "release on the reporting images" "$WORK/release/gpu_release.done" 0 "$WORK/logs/release.log" \
    bash benchmarks/release_evaluation.sh --procs 1 --size "$SIZE" --sample "$SAMPLE" --out "$WORK/release" \
    --record "$OUT/release_reporting" --budget "$REPORTING_BUDGET" --data-dir "$DATA" --test-list "$REPORTING" \
    -- "${BUDGET[@]}"
fi

# stage 4: the records, packed (the device brings back 8 files at most)
stamp "stage 4 records: start"
REC=$WORK/records
rm -rf "$REC"
mkdir -p "$REC"
copy() { [ ! -f "$1" ] || { mkdir -p "$2"; cp "$1" "$2/"; }; }
for name in $FINALISTS; do
  dir=$WORK/$name
  for f in overrides.txt train.log eval_clean.log eval_val.log worst.log; do copy "$dir/$f" "$REC/$name"; done
  for part in eval_clean eval_val; do
    for f in "$dir/$part"/*.csv; do copy "$f" "$REC/$name/$part"; done
  done
  for f in robustness.csv robustness.json robustness_per_image.csv; do copy "$dir/worst/robustness/$f" "$REC/$name/worst/robustness"; done
  for f in "$WORK/logs/$name".*.log; do copy "$f" "$REC/$name/logs"; done
done
if [ "$RELEASE" = 1 ]; then
  # the record release_evaluation.sh kept in OUT, or (finished earlier on this machine) its rows in WORK
  for f in robustness.csv robustness.json robustness_per_image.csv; do
    [ -f "$OUT/release_reporting/$f" ] || copy "$WORK/release/robustness/$f" "$OUT/release_reporting"
    copy "$OUT/release_reporting/$f" "$REC/release_reporting"
  done
  copy "$WORK/logs/release.log" "$REC/release_reporting"
fi
copy "$WORK/screen.json" "$REC"
cp "$STAGES" "$REC/stages.tsv"
evaluated=()
for name in $FINALISTS; do [ ! -f "$REC/$name/overrides.txt" ] || evaluated+=("$name"); done
# the finalists' screens are compared with the released model's, measured the same way on the same images
REFERENCE=at32_mix_rand=$RELEASE_RESULTS/selection_budget/js300
if [ "${#evaluated[@]}" -gt 0 ] && [ -f "$REC/screen.json" ]; then  # the campaign table and the worst-case tables
  timeout 120 $PY - "$REC" "$REFERENCE" "${evaluated[@]}" <<'PYEOF' || echo "the tables could not be made (the records are packed all the same)"
import contextlib, os, sys
from nlcen_monai.reports import campaign_table, worst_case_table
rec, reference, runs = sys.argv[1], sys.argv[2], sys.argv[3:]
stores = [f"{n}={rec}/{n}/worst/robustness" for n in runs if os.path.isfile(f"{rec}/{n}/worst/robustness/robustness.csv")]
table = [rec, "--runs", *runs, "--reference", reference]
for name, main, argv in (("campaign.md", campaign_table.main, table), ("worst.md", worst_case_table.main, stores)):
    if argv:
        with open(os.path.join(rec, name), "w", encoding="utf-8") as f, contextlib.redirect_stdout(f):
            main(argv)
        print(open(os.path.join(rec, name), encoding="utf-8").read())
PYEOF
fi
tar -C "$REC" -czf "$OUT/records.tar.gz" .
# each finalist's model, as long as the device brings it back (8 files, 64 MiB in all; 16 MiB each)
mkdir -p "$OUT/models"
for name in $FINALISTS; do
  model=$WORK/$name/models/model.pt
  [ -f "$model" ] || continue
  files=$(find "$OUT" -type f | wc -l) bytes=$(du -sb "$OUT" | cut -f1) size=$(stat -c %s "$model")
  if [ "$files" -lt 8 ] && [ $((bytes + size)) -lt $((60 * 1048576)) ] && [ "$size" -lt $((16 * 1048576)) ]; then
    cp "$model" "$OUT/models/$name.pt"
  else
    echo "$name's model.pt is not brought back (the device's limits on returned files); it stays in $model"
  fi
done
rmdir "$OUT/models" 2>/dev/null || true
stamp "stage 4 records: done, $(find "$OUT" -type f | wc -l) files in $OUT"
echo "== stages (WORK/stages.tsv, this invocation and earlier ones):"
column -t -s $'\t' "$STAGES" 2>/dev/null || cat "$STAGES"
echo "== elapsed $(($(date +%s) - T0)) s of the ${BUDGET_S} s budget"

RES=$RELEASE_RESULTS
cat <<EOF
== afterwards, here (FILES: the folder the call's files came back to, its files_at):
  mkdir -p $RES/gpu_campaign && tar -xzf "\$FILES/records.tar.gz" -C $RES/gpu_campaign
  mkdir -p $REPORTING_RECORD && cp "\$FILES"/release_reporting/robustness* $REPORTING_RECORD/
  for m in "\$FILES"/models/*.pt; do n=\$(basename "\$m" .pt); mkdir -p runs/gpu/\$n/models && cp "\$m" runs/gpu/\$n/models/model.pt; done
  .venv/bin/python -m nlcen_monai.reports.campaign_table $RES/gpu_campaign --runs ${FINALISTS} --reference $REFERENCE
  .venv/bin/python -m nlcen_monai.reports.release_figures $REPORTING_RECORD
  git add $RES/gpu_campaign $REPORTING_RECORD && git commit -m "GPU campaign records: ..."
  (a later call resumes the release from $REPORTING_RECORD; give --finalists only the runs not finished yet)
EOF
exit "$FAILED"
