#!/usr/bin/env bash
# The defense campaign on real JSRT: adversarially trained NLCEN variants, one line of a table each.
#
# For every run in --runs, in order, one at a time (resumable: a finished step is not redone, a training
# stopped midway resumes from its last checkpoint with --resume true):
#   1. train with bundles/nlcen_jsrt (train.json + configs/defense/adversarial_training.json, or train.json
#      alone for the undefended "clean" run), then the run's own config files (FILES below, e.g.
#      configs/defense/weight_averaging.json), and the run's overrides;
#   2. clean DIC/JSC on the whole test set (evaluate.json, all 123 images);
#   (the evaluation steps take the run's overrides too, so that e.g. its --width builds the right network)
#   3. the screen: APGD-CE, 20 iterations, one restart, at eps 8 and 32 on every --test-every-th test image
#      (a cheap upper bound to rank the runs);
#   4. only for --finalists: the worst case of configs/attacks/strong.json (its default budget) at eps 8 and 32
#      on the same images, without the gradient-masking checks (those run on the released model);
#   5. only for --release: the same worst case with the four gradient-masking checks, checks c and d at the
#      --check-eps intensities (default: both; any other cell is marked unchecked, an upper bound), the
#      transfer half of check d crafted on the undefended "clean" run when it has a model;
# then python -m nlcen_monai.reports.campaign_table prints the table (clean DIC, screen DIC, seconds per epoch and the ratio
# to the clean run's epoch) and writes OUT/campaign.csv.
#
# usage: benchmarks/defense_campaign.sh [--out DIR] [--size N] [--width W] [--epochs N] [--runs "NAME ..."]
#                                       [--test-every K] [--threads N] [--data-dir DIR] [--quick] [--list]
#   --runs       names from the table below (default: all, in order); "clean" is the undefended reference
#   --finalists  names whose worst case (step 4) is computed, after the other steps of all --runs
#   --release    the name whose worst case with the checks (step 5) is computed, after the finalists
#   --check-eps  the intensities of checks c and d in step 5 (default "8 32")
#   --quick      64 x 64, 12 training and 6 test cases, 2 epochs, 2 screen and strong iterations (a smoke run)
#   --list       print the runs and their overrides, then exit
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
OUT="" SIZE=128 WIDTH=0.5 EPOCHS=30 RUNS="" TEST_EVERY=9 THREADS=1 QUICK=0 LIST=0
DATA_DIR=../shared/data/jsrt_png SCREEN_ITERATIONS=20 FINALISTS="" RELEASE="" CHECK_EPS="8 32"
STRONG_BUDGET=()  # strong.json's own budget; --quick: 2 iterations, 20 Square queries
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --width) WIDTH=$2; shift ;;
    --epochs) EPOCHS=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --finalists) FINALISTS=$2; shift ;;
    --release) RELEASE=$2; shift ;;
    --check-eps) CHECK_EPS=$2; shift ;;
    --test-every) TEST_EVERY=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --data-dir) DATA_DIR=$2; shift ;;
    --quick) QUICK=1; SIZE=64; EPOCHS=2; SCREEN_ITERATIONS=2; TEST_EVERY=1; STRONG_BUDGET=(--attack_iterations 2 --square_queries 20) ;;
    --list) LIST=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$OUT" ] || { OUT=runs/campaign; [ "$QUICK" = 0 ] || OUT=${OUT}_quick; }

# name -> overrides of the bundle (on top of --epochs/--width); "clean" trains without adversarial images.
# Each run changes one thing against at32_mix (eps 32 ramped over 10 epochs, clean/adversarial mix 0.5);
# at32_mix_ft starts from the undefended "clean" run's model (adversarial fine-tuning), so "clean" runs first;
# a run's own --epochs/--width come after the common ones and win.
T=--train#trainer#  # the defense override sets the trainer's arguments: --train#trainer#<argument> value
# (its attack by _target_, written without spaces: the overrides are split on whitespace)
MIX32="${T}eps 32 ${T}eps_ramp_epochs 10 ${T}clean_weight 0.5"
RAND32="$MIX32 ${T}eps_sampling uniform"  # at32_mix_rand, the released run
ORDER=(clean at8 at32_mix at32_trades6 at32_trades1 at32_adv at32_mix_rand at32_mix_aug at32_mix_nfgsm at32_mix_pgd2
       at16_mix at32_mix_e60 at32_mix_w1 at32_mix_cw75 at32_mix_ft at32_mix_rand_ema at32_mix_rand_aug at32_mix_rand_aug_ema)
declare -A RUN=(
  [clean]=""
  [at8]="${T}eps 8 ${T}eps_ramp_epochs 5 ${T}clean_weight 0.0"
  [at32_mix]="$MIX32"
  [at32_trades6]="${T}eps 32 ${T}eps_ramp_epochs 10 ${T}objective trades ${T}trades_beta 6"
  [at32_trades1]="${T}eps 32 ${T}eps_ramp_epochs 10 ${T}objective trades ${T}trades_beta 1"
  [at32_adv]="${T}eps 32 ${T}eps_ramp_epochs 10 ${T}clean_weight 0.0"
  [at32_mix_rand]="$RAND32"
  [at32_mix_aug]="$MIX32 --augment true"
  [at32_mix_nfgsm]="$MIX32 ${T}attack {'_target_':'nlcen_monai.attacks.NFGSM'}"
  [at32_mix_pgd2]="$MIX32 ${T}attack#steps 2"
  [at16_mix]="${T}eps 16 ${T}eps_ramp_epochs 10 ${T}clean_weight 0.5"
  [at32_mix_e60]="$MIX32 --epochs 60"
  [at32_mix_w1]="$MIX32 --width 1.0"
  [at32_mix_cw75]="${T}eps 32 ${T}eps_ramp_epochs 10 ${T}clean_weight 0.75"
  [at32_mix_ft]="$MIX32 --init_checkpoint $OUT/clean/models/model.pt"
  [at32_mix_rand_ema]="$RAND32"
  [at32_mix_rand_aug]="$RAND32"
  [at32_mix_rand_aug_ema]="$RAND32"
)
# name -> config files stacked after the defense override, for the training only (the evaluations load the
# model.pt it wrote): the released run at32_mix_rand with weight averaging (the averaged weights are validated
# and saved), with configs/defense/augmentation.json (at32_mix_aug is --augment true, the bundle's own lighter
# augmentation), and with both
D=configs/defense
declare -A FILES=(
  [at32_mix_rand_ema]="$D/weight_averaging.json"
  [at32_mix_rand_aug]="$D/augmentation.json"
  [at32_mix_rand_aug_ema]="$D/augmentation.json $D/weight_averaging.json"
)
if [ "$LIST" = 1 ]; then
  for name in "${ORDER[@]}"; do printf '%-22s %s%s\n' "$name" "${RUN[$name]:-(undefended)}" "${FILES[$name]:+ + ${FILES[$name]}}"; done
  exit 0
fi
[ -n "$RUNS" ] || RUNS="${ORDER[*]}"
for name in $RUNS $FINALISTS $RELEASE; do [ -n "${RUN[$name]+x}" ] || { echo "unknown run $name (see --list)" >&2; exit 2; }; done
[ -d "$DATA_DIR" ] || { echo "JSRT data not found at $DATA_DIR (see its README.md in ../shared/data)" >&2; exit 1; }

mkdir -p "$OUT"
DATA=$OUT/data_$SIZE
[ -f "$DATA/datalist.json" ] || $PY data_prep/jsrt.py --png-dir "$DATA_DIR" --out "$DATA" --size "$SIZE"
if [ "$QUICK" = 1 ]; then  # a few cases of each split
  $PY - "$DATA" "$OUT/data_quick" <<'PYEOF'
import json, os, sys
src, dst = sys.argv[1:3]
os.makedirs(dst, exist_ok=True)
full = json.load(open(os.path.join(src, "datalist.json")))
absolute = lambda items: [{k: os.path.abspath(os.path.join(src, v)) for k, v in it.items()} for it in items]
json.dump({"training": absolute(full["training"][:12]), "test": absolute(full["test"][:6])},
          open(os.path.join(dst, "datalist.json"), "w"), indent=1)
PYEOF
  DATA=$OUT/data_quick
fi
DATA=$(cd "$DATA" && pwd)
B=bundles/nlcen_jsrt/configs
AT=configs/defense/adversarial_training.json
COMMON=(--dataset_dir "$DATA" --image_size "$SIZE" --width "$WIDTH" --num_workers 0 --num_threads "$THREADS" --progress_bar false)
# the screen's attack: APGD-CE, its own budget, eps 8 and 32
cat > "$OUT/screen.json" <<EOF
{
    "epsilons": [8, 32],
    "panel_eps": 32,
    "attack": {"_target_": "nlcen_monai.attacks.APGD", "loss": "ce", "iterations": $SCREEN_ITERATIONS, "seed": 0},
    "test_list": "\$nlcen_monai.data.load_datalist(@dataset_dir, 'test')[::$TEST_EVERY]"
}
EOF

for name in $RUNS; do
  dir=$OUT/$name
  mkdir -p "$dir"
  # one process per run: a second campaign process (e.g. on the other core, --runs in another order)
  # skips the runs this one holds
  exec 9>"$dir/.lock"
  if ! flock -n 9; then echo "== $name: held by another campaign process, skipped  [$(date +%T)]"; continue; fi
  files="'$B/train.json'"
  [ "$name" = clean ] || files="$files,'$AT'"
  for file in ${FILES[$name]:-}; do files="$files,'$file'"; done
  read -r -a overrides <<< "${RUN[$name]}"
  echo "--epochs $EPOCHS --width $WIDTH --image_size $SIZE ${RUN[$name]:-(undefended)}${FILES[$name]:+ + ${FILES[$name]}}" > "$dir/overrides.txt"
  if [ ! -f "$dir/train.done" ]; then
    resume=()
    ls "$dir"/models/checkpoint_epoch=*.pt >/dev/null 2>&1 && resume=(--resume true)
    echo "== $name: train ${RUN[$name]:-(undefended)}${FILES[$name]:+ + ${FILES[$name]}} ${resume[*]}  [$(date +%T)]"
    $PY -m monai.bundle run --config_file "[$files]" "${COMMON[@]}" --epochs "$EPOCHS" \
      --bundle_root "$dir" "${overrides[@]}" "${resume[@]}" >> "$dir/train.log" 2>&1
    touch "$dir/train.done"
  fi
  if [ ! -f "$dir/eval_clean/metrics.csv" ]; then
    echo "== $name: clean DIC/JSC on the whole test set  [$(date +%T)]"
    $PY -m monai.bundle run --config_file "['$B/train.json','$B/evaluate.json']" "${COMMON[@]}" \
      "${overrides[@]}" --ckpt_dir "$dir/models" --output_dir "$dir/eval_clean" > "$dir/eval_clean.log" 2>&1
  fi
  # the evaluator resumes by itself: a finished screen costs a data load, a stopped one loses at most a batch
  echo "== $name: screen (APGD-CE, $SCREEN_ITERATIONS iterations, eps 8 and 32, every ${TEST_EVERY}th test image)  [$(date +%T)]"
  $PY -m monai.bundle run --config_file "['$B/train.json','$B/adversarial.json','$OUT/screen.json']" \
    "${COMMON[@]}" "${overrides[@]}" --ckpt_dir "$dir/models" --output_dir "$dir/screen" >> "$dir/screen.log" 2>&1
  flock -u 9
done
# the worst case of configs/attacks/strong.json at eps 8 and 32 on the screen's images, for run $1, into
# $1/$2 (a finalist's "worst", the release's "release"), with the extra overrides that follow (the checks);
# returns 1 when the run has no model or another campaign process holds it
strong_worst_case() {
  local name=$1 out=$2 dir=$OUT/$1
  shift 2
  [ -f "$dir/models/model.pt" ] || { echo "== $name: no model to attack" >&2; return 1; }
  exec 9>"$dir/.lock"
  flock -n 9 || { echo "== $name: held by another campaign process  [$(date +%T)]" >&2; return 1; }
  read -r -a overrides <<< "${RUN[$name]}"
  echo "== $name: worst case of configs/attacks/strong.json at eps 8 and 32 ($out: $*)  [$(date +%T)]"
  $PY -m monai.bundle run --config_file "['$B/train.json','$B/adversarial.json','$OUT/screen.json','configs/attacks/strong.json']" \
    "${COMMON[@]}" "${overrides[@]}" "${STRONG_BUDGET[@]}" --epsilons "[8, 32]" "$@" \
    --ckpt_dir "$dir/models" --output_dir "$dir/$out" >> "$dir/$out.log" 2>&1 || exit 1  # (set -e is off under ||)
  flock -u 9
}
for name in $FINALISTS; do
  strong_worst_case "$name" worst --checks '$None' || echo "== $name: skipped" >&2
done
if [ -n "$RELEASE" ]; then
  surrogate=()
  [ ! -f "$OUT/clean/models/model.pt" ] || surrogate=(--surrogate_checkpoint "$(cd "$OUT/clean/models" && pwd)/model.pt")
  strong_worst_case "$RELEASE" release --checks#epsilons "[${CHECK_EPS// /, }]" "${surrogate[@]}"
  $PY -m nlcen_monai.reports.worst_case_table "$RELEASE=$OUT/$RELEASE/release/robustness" | tee "$OUT/$RELEASE/release.md"
fi
$PY -m nlcen_monai.reports.campaign_table "$OUT" --runs $RUNS $FINALISTS | tee "$OUT/campaign.md"
echo "== done  [$(date +%T)]"
