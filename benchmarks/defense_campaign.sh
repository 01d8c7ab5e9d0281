#!/usr/bin/env bash
# The defense campaign on real JSRT: adversarially trained NLCEN variants, one line of a table each.
#
# For every run in --runs, in order, one at a time (resumable: a finished step is not redone, a training
# stopped midway resumes from its last checkpoint with --resume true):
#   1. train with bundles/nlcen_jsrt (train.json + configs/defense/adversarial_training.json, or train.json
#      alone for the undefended "clean" run), then the run's own config files (FILES below, e.g.
#      configs/defense/weight_averaging.json), and the run's overrides;
#   2. clean DIC/JSC on the whole test set (evaluate.json, all 123 images): the clean figure a release publishes;
#   3. clean DIC/JSC on the validation cases (the training's own held-out split, train.json's train_val_split[1]):
#      the clean figure the decisions use;
#   (the evaluation steps take the run's overrides too, so that e.g. its --width builds the right network)
#   4. the screen: the worst case of configs/attacks/strong.json with configs/attacks/budget_js300.json (the budget
#      chosen on the selection images) at eps 8 and 32 on the selection images (nlcen_monai.data.evaluation_subset(
#      ..., 'selection', every=--test-every): every ninth test image, 14 on JSRT), without the gradient-masking
#      checks, into NAME/worst: the runs are ranked by the measure the release is judged by (the first campaign's
#      screen, APGD-CE at 20 iterations, put N-FGSM near the others when its worst case at eps 32 was 0.115);
#   5. only for --release: the four gradient-masking checks added to that same store (the worst case is not
#      computed again: the checks start from its recorded images), checks c and d at the --check-eps intensities
#      (default: both; any other cell is marked unchecked, an upper bound), the transfer half of check d crafted on
#      the undefended "clean" run when it has a model;
# then python -m nlcen_monai.reports.campaign_table prints the table (clean DIC on the validation cases and on the
# whole test set, the screen's worst case, its paired difference to --reference on the same images, seconds per
# epoch and the ratio to the clean run's epoch) and writes OUT/campaign.csv. Decide only where a paired interval
# excludes zero; the reporting images (the other test images) are for the release's figures
# (benchmarks/release_evaluation.sh), never for a decision.
#
# usage: benchmarks/defense_campaign.sh [--out DIR] [--size N] [--width W] [--epochs N] [--runs "NAME ..."]
#                                       [--release NAME] [--check-eps "E ..."] [--reference NAME]
#                                       [--test-every K] [--threads N] [--data-dir DIR] [--quick] [--list]
#                                       [-- SCREEN ARGS...]
#   --runs       names from the table below (default: all, in order); "clean" is the undefended reference
#   --release    the name whose screen gets the gradient-masking checks (step 5), after all --runs
#   --reference  the run the table's paired differences are taken against (default at32_mix_rand, the released run)
#   --test-every the selection's stride (default 9, the project's selection images; --quick: 2)
#   --check-eps  the intensities of checks c and d in step 5 (default "8 32")
#   --quick      64 x 64, 12 training and 6 test cases, 2 epochs, 2 attack iterations, 20 Square queries (a smoke run)
#   --list       print the runs and their overrides, then exit
#   arguments after -- go to the screen's `python -m monai.bundle run` (e.g. --attack_iterations 2 for a smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
source benchmarks/evaluation_overrides.sh  # evaluation_overrides: a run's overrides without the trainer's
OUT="" SIZE=128 WIDTH=0.5 EPOCHS=30 RUNS="" TEST_EVERY=9 THREADS=1 QUICK=0 LIST=0
DATA_DIR=../shared/data/jsrt_png RELEASE="" CHECK_EPS="8 32" REFERENCE=at32_mix_rand
STRONG_BUDGET=()  # budget_js300.json's own budget; --quick: 2 iterations, 20 Square queries
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --width) WIDTH=$2; shift ;;
    --epochs) EPOCHS=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --release) RELEASE=$2; shift ;;
    --check-eps) CHECK_EPS=$2; shift ;;
    --reference) REFERENCE=$2; shift ;;
    --test-every) TEST_EVERY=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --data-dir) DATA_DIR=$2; shift ;;
    --quick) QUICK=1; SIZE=64; EPOCHS=2; TEST_EVERY=2; STRONG_BUDGET=(--attack_iterations 2 --square_queries 20) ;;
    --list) LIST=1 ;;
    --) shift; STRONG_BUDGET+=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$OUT" ] || { OUT=runs/campaign; [ "$QUICK" = 0 ] || OUT=${OUT}_quick; }

# name -> overrides of the bundle (on top of --epochs/--width); "clean" trains without adversarial images.
# Each run changes one thing against at32_mix (eps 32 ramped over 10 epochs, clean/adversarial mix 0.5);
# at32_mix_ft starts from the undefended "clean" run's model (adversarial fine-tuning, at half the adversarial
# epochs: 15, the eps ramped over 5), so "clean" runs first;
# a run's own --epochs/--width come after the common ones and win.
T=--train#trainer#  # the defense override sets the trainer's arguments: --train#trainer#<argument> value
# (its attack by _target_, written without spaces: the overrides are split on whitespace)
MIX32="${T}eps 32 ${T}eps_ramp_epochs 10 ${T}clean_weight 0.5"
RAND32="$MIX32 ${T}eps_sampling uniform"  # at32_mix_rand, the released run
ORDER=(clean at8 at32_mix at32_trades6 at32_trades1 at32_adv at32_mix_rand at32_mix_aug at32_mix_nfgsm at32_mix_pgd2
       at16_mix at32_mix_e60 at32_mix_w1 at32_mix_cw75 at32_mix_cw25 at32_mix_ft at32_mix_rand_ema at32_mix_rand_aug at32_mix_rand_aug_ema at32_mix_nfgsm_elle
       at32_mix_rand_pgd2)
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
  [at32_mix_cw25]="${T}eps 32 ${T}eps_ramp_epochs 10 ${T}clean_weight 0.25"  # between at32_adv (0) and at32_mix (0.5)
  [at32_mix_ft]="${T}eps 32 ${T}eps_ramp_epochs 5 ${T}clean_weight 0.5 --epochs 15 --init_checkpoint $OUT/clean/models/model.pt"
  [at32_mix_rand_ema]="$RAND32"
  [at32_mix_rand_aug]="$RAND32"
  [at32_mix_rand_aug_ema]="$RAND32"
  [at32_mix_nfgsm_elle]="$MIX32"
  [at32_mix_rand_pgd2]="$RAND32 ${T}attack#steps 2"  # the released recipe at PGD-2: 3.1x the clean step, not 5.0x
)
# name -> config files stacked after the defense override, for the training only (the evaluations load the
# model.pt it wrote): the released run at32_mix_rand with weight averaging (the averaged weights are validated
# and saved), with configs/defense/augmentation.json (at32_mix_aug is --augment true, the bundle's own lighter
# augmentation), and with both; at32_mix_nfgsm with ELLE-A's local-linearity regulariser (local_linearity.json
# switches the attack to N-FGSM itself)
D=configs/defense
declare -A FILES=(
  [at32_mix_rand_ema]="$D/weight_averaging.json"
  [at32_mix_rand_aug]="$D/augmentation.json"
  [at32_mix_rand_aug_ema]="$D/augmentation.json $D/weight_averaging.json"
  [at32_mix_nfgsm_elle]="$D/local_linearity.json"
)
if [ "$LIST" = 1 ]; then
  for name in "${ORDER[@]}"; do printf '%-22s %s%s\n' "$name" "${RUN[$name]:-(undefended)}" "${FILES[$name]:+ + ${FILES[$name]}}"; done
  exit 0
fi
[ -n "$RUNS" ] || RUNS="${ORDER[*]}"
for name in $RUNS $RELEASE; do [ -n "${RUN[$name]+x}" ] || { echo "unknown run $name (see --list)" >&2; exit 2; }; done
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
# the screen's images and intensities; its attack is strong.json's worst case with budget_js300.json's members
cat > "$OUT/screen.json" <<EOF
{
    "epsilons": [8, 32],
    "panel_eps": 32,
    "test_list": "\$nlcen_monai.data.evaluation_subset(@dataset_dir, 'selection', every=$TEST_EVERY)"
}
EOF
SCREEN_CONFIGS="'$B/train.json','$B/adversarial.json','configs/attacks/strong.json','configs/attacks/budget_js300.json','$OUT/screen.json'"
# the screen of run $1 (which the caller has locked) into $1/worst, with the extra overrides that follow (the
# checks); the evaluator resumes by itself: a finished screen costs a data load, a stopped one loses at most a batch
screen() {
  local name=$1 dir=$OUT/$1
  shift
  read -r -a overrides <<< "${RUN[$name]}"
  evaluation_overrides "${overrides[@]}"
  $PY -m monai.bundle run --config_file "[$SCREEN_CONFIGS]" "${COMMON[@]}" "${EVALUATION_OVERRIDES[@]}" "${STRONG_BUDGET[@]}" \
    --epsilons "[8, 32]" "$@" --ckpt_dir "$dir/models" --output_dir "$dir/worst" >> "$dir/worst.log" 2>&1
}

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
  evaluation_overrides "${overrides[@]}"
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
      "${EVALUATION_OVERRIDES[@]}" --ckpt_dir "$dir/models" --output_dir "$dir/eval_clean" > "$dir/eval_clean.log" 2>&1
  fi
  if [ ! -f "$dir/eval_val/metrics.csv" ]; then
    echo "== $name: clean DIC/JSC on the validation cases  [$(date +%T)]"
    $PY -m monai.bundle run --config_file "['$B/train.json','$B/evaluate.json']" "${COMMON[@]}" "${EVALUATION_OVERRIDES[@]}" \
      --test_list '$@train_val_split[1]' --ckpt_dir "$dir/models" --output_dir "$dir/eval_val" > "$dir/eval_val.log" 2>&1
  fi
  echo "== $name: screen (worst case, strong.json + budget_js300.json, eps 8 and 32, selection images)  [$(date +%T)]"
  screen "$name" --checks '$None'
  flock -u 9
done
if [ -n "$RELEASE" ]; then
  dir=$OUT/$RELEASE
  [ -f "$dir/models/model.pt" ] || { echo "== $RELEASE: no model to check" >&2; exit 1; }
  exec 9>"$dir/.lock"
  flock -n 9 || { echo "== $RELEASE: held by another campaign process  [$(date +%T)]" >&2; exit 1; }
  surrogate=()
  [ ! -f "$OUT/clean/models/model.pt" ] || surrogate=(--surrogate_checkpoint "$(cd "$OUT/clean/models" && pwd)/model.pt")
  echo "== $RELEASE: the gradient-masking checks on its screen (c and d at eps $CHECK_EPS)  [$(date +%T)]"
  screen "$RELEASE" --checks#epsilons "[${CHECK_EPS// /, }]" "${surrogate[@]}"
  flock -u 9
  $PY -m nlcen_monai.reports.worst_case_table "$RELEASE=$dir/worst/robustness" | tee "$dir/release.md"
fi
$PY -m nlcen_monai.reports.campaign_table "$OUT" --runs $RUNS $RELEASE --reference "$REFERENCE" | tee "$OUT/campaign.md"
echo "== done  [$(date +%T)]"
