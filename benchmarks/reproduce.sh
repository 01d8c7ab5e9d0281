#!/usr/bin/env bash
# Reproduce one of the paper's experiments on real images, then judge it with the worst case over strong
# attacks and the gradient-masking checks (benchmarks/reproduce_jsrt.sh and reproduce_isic.sh call this):
#   1. train each model with the dataset's bundle (undefended, or adversarially trained with
#      configs/defense/adversarial_training.json for the *_at models);
#   2. the paper's targeted I-FGSM at all 18 intensities;
#   3. the worst case per image over configs/attacks/strong.json (the paper's attack, APGD with the CE,
#      masked-CE, targeted-CE and JS losses, CosPGD, SegPGD) at eps 2, 4, 8, 16, 32, with the four
#      gradient-masking checks (a defended model's transfer attack is crafted on its undefended twin);
#   4. clean DIC/JSC on the whole test set; 5. the markdown tables BENCHMARKS.md records (OUT/table.md and
#      OUT/worst_case.md), of every model in OUT with results, so that runs of one model each can share OUT.
# Everything goes through `python -m nlcen_monai.compare`, so each step resumes: a model trained with the
# same settings is kept and a stopped training continues from its last epoch (--resume-train; --skip-train
# does not train at all; --test-every, --strong-test-every, --eval-batch and the attack options only set the
# evaluations, so a rerun may change them without retraining), and the images and intensities already
# recorded in a model's robustness_per_image.csv are not recomputed (a killed evaluation loses at most one batch).
# The sweep's results are in OUT/NAME/eval/robustness, the worst case's in OUT/strong/NAME/eval/robustness.
#
# usage: benchmarks/reproduce.sh --dataset jsrt|isic [--quick] [--size N] [--epochs N] [--out DIR]
#                                [--data-dir DIR] [--skip-train] [--models "nlcen unet ..."] [--test-every K]
#                                [--restarts N] [--iterations N] [--square-queries N] [--adv-eps E]
#                                [--eval-batch N] [--strong-eps "E ..."] [--no-sweep] [--no-strong]
#                                [--seed N] [--strong-test-every K] [--prepare-only] [--eval-procs N]
#   --dataset jsrt   the JSRT radiographs (--data-dir: the PNG copy, default ../shared/data/jsrt_png),
#                    bundles/nlcen_jsrt (NLCEN-ResNet-18), SCR split 124 / 123
#   --dataset isic   ISIC dermoscopy images in the ISBI 2016 layout (--data-dir, default
#                    ../shared/data/isic2017_val150: the ISIC 2017 validation subset, 100 / 50),
#                    bundles/nlcen_isbi2016 (NLCEN-ResNet-50, flips and +/- 10 degree rotations)
#   --models         any of nlcen nlcen_wo_nlce, the five baselines unet invertednet nwcn cdnn slsdeep and their
#                    NLCE versions unet_nlce ... slsdeep_nlce (configs/networks/*.json; undefended), and nlcen_at
#                    nlcen_wo_nlce_at unet_at (adversarially trained; their undefended twin must be in the list before them)
#   --seed N         the bundle's seed (network initialisation, validation split, data order; default 0)
#   --test-every K   attack every K-th test case only (clean DIC/JSC always use the whole test set)
#   --strong-test-every K  step 3 on every K-th test case only (default: --test-every's K)
#   --prepare-only   convert the data into OUT and stop (so that several runs can then share OUT; runs started
#                    together also share it: the first converts, the others wait for it, OUT/.data_SIZE.lock)
#   --iterations N   iterations (steps) of every strong attack (default 20; configs/attacks/strong.json's own is 300)
#   --restarts N     random restarts of every strong attack (default 1)
#   --square-queries N  queries of the black-box Square attack of check d (default 1000)
#   --adv-eps E      the training eps of the *_at models (default 8)
#   --eval-batch N   test images per batch during the attacks (default 8; a GPU is filled with e.g. 41)
#   --eval-procs N   steps 2 and 3 under torchrun with N processes, the test cases sharded over them (GPUs,
#                    or CPU processes with gloo); a stopped evaluation resumes with any N
#   --strong-eps "E ..."  the intensities of step 3 (default "2 4 8 16 32")
#   --no-sweep, --no-strong  skip step 2 or step 3
#   --quick     64 x 64, 12 training and 6 test cases, 2 epochs, 3 intensities, 2 iterations (a smoke run, < 15 min)
#   default     256 x 256, 100 epochs (hours on a CPU; use --size 128 --epochs 15 on a 2-core machine)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
SIZE=256 EPOCHS=100 OUT="" QUICK=0 TRAIN_MODE=--resume-train TEST_EVERY=1 RESTARTS=1
ITERATIONS=20 SQUARE=1000 ADV_EPS=8 EVAL_BATCH=8 SWEEP=1 STRONG=1 DATASET="" DATA_DIR="" MODELS="" STRONG_EPS_SET=""
SEED=0 STRONG_TEST_EVERY="" PREPARE_ONLY=0 EVAL_PROCS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --dataset) DATASET=$2; shift ;;
    --data-dir|--png-dir|--isbi-dir) DATA_DIR=$2; shift ;;
    --quick) QUICK=1; SIZE=64; EPOCHS=2 ;;
    --size) SIZE=$2; shift ;;
    --epochs) EPOCHS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --models) MODELS=$2; shift ;;
    --skip-train) TRAIN_MODE=--skip-train ;;
    --test-every) TEST_EVERY=$2; shift ;;
    --strong-test-every) STRONG_TEST_EVERY=$2; shift ;;
    --seed) SEED=$2; shift ;;
    --prepare-only) PREPARE_ONLY=1 ;;
    --restarts) RESTARTS=$2; shift ;;
    --iterations) ITERATIONS=$2; shift ;;
    --square-queries) SQUARE=$2; shift ;;
    --adv-eps) ADV_EPS=$2; shift ;;
    --eval-batch) EVAL_BATCH=$2; shift ;;
    --eval-procs) EVAL_PROCS=$2; shift ;;
    --no-sweep) SWEEP=0 ;;
    --no-strong) STRONG=0 ;;
    --strong-eps) STRONG_EPS_SET=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case "$DATASET" in
  jsrt)
    BUNDLE=bundles/nlcen_jsrt DATA_DIR=${DATA_DIR:-../shared/data/jsrt_png} MODELS=${MODELS:-"nlcen nlcen_wo_nlce unet unet_nlce"}
    convert() { $PY data_prep/jsrt.py --png-dir "$DATA_DIR" --out "$1" --size "$SIZE"; } ;;
  isic)
    BUNDLE=bundles/nlcen_isbi2016 DATA_DIR=${DATA_DIR:-../shared/data/isic2017_val150} MODELS=${MODELS:-"nlcen unet"}
    convert() { $PY data_prep/isbi2016.py --isbi-dir "$DATA_DIR" --out "$1" --size "$SIZE"; } ;;
  *) echo "--dataset jsrt|isic is required" >&2; exit 2 ;;
esac
if [ -z "$OUT" ]; then OUT=runs/$DATASET; [ "$QUICK" = 0 ] || OUT=${OUT}_quick; fi
[ -d "$DATA_DIR" ] || { echo "$DATASET data not found at $DATA_DIR (see its README.md in ../shared/data)" >&2; exit 1; }

# the *_at models: the defense override, then their training eps (the trainer's own argument)
mkdir -p "$OUT"
printf '{"train#trainer#eps": %s}\n' "$ADV_EPS" > "$OUT/adv_eps.json"
AT=configs/defense/adversarial_training.json+$OUT/adv_eps.json
declare -A CONFIG=(
  [nlcen]=configs/networks/nlcen.json [nlcen_wo_nlce]=configs/ablation/wo_nlce.json
  [unet]=configs/networks/unet.json [unet_nlce]=configs/networks/unet_nlce.json
  [nlcen_at]=configs/networks/nlcen.json+$AT [nlcen_wo_nlce_at]=configs/ablation/wo_nlce.json+$AT
  [unet_at]=configs/networks/unet.json+$AT
)
for with in configs/networks/*_nlce.json; do  # every baseline, without and with NLCE
  net=$(basename "$with" _nlce.json)
  CONFIG[$net]=configs/networks/$net.json CONFIG[${net}_nlce]=$with
done
CONFIGS=()
for m in $MODELS; do
  [ -n "${CONFIG[$m]:-}" ] || { echo "unknown model $m" >&2; exit 2; }
  CONFIGS+=("$m=${CONFIG[$m]}")
done

DATA=$OUT/data_${SIZE}
# runs started together into one OUT (one model per core) convert once: the others wait on the lock, then
# find the datalist (without the lock a second converter would meet the first's half-written folder and stop)
if [ ! -f "$DATA/datalist.json" ]; then
  if command -v flock > /dev/null; then
    ( flock 9; [ -f "$DATA/datalist.json" ] || convert "$DATA" ) 9> "$OUT/.data_${SIZE}.lock"
  else
    convert "$DATA"
  fi
fi
if [ "$QUICK" = 1 ]; then  # a few cases of each split, same files
  SUB=$OUT/data_quick
  mkdir -p "$SUB"
  $PY - "$DATA" "$SUB" <<'PYEOF'
import json, os, sys
src, dst = sys.argv[1:3]
full = json.load(open(os.path.join(src, "datalist.json")))
absolute = lambda items: [{k: os.path.abspath(os.path.join(src, v)) for k, v in it.items()} for it in items]
json.dump({"training": absolute(full["training"][:12]), "test": absolute(full["test"][:6])},
          open(os.path.join(dst, "datalist.json"), "w"), indent=1)
PYEOF
  DATA=$SUB
  PAPER_EPS=(0.5 8 32)
  STRONG_EPS=(8 32)
  RESTARTS=1 ITERATIONS=2 SQUARE=20
else
  PAPER_EPS=(0.5 1 2 4 6 8 10 12 14 16 18 20 22 24 26 28 30 32)
  STRONG_EPS=(2 4 8 16 32)
fi
[ -z "$STRONG_EPS_SET" ] || read -r -a STRONG_EPS <<< "$STRONG_EPS_SET"
DATA=$(cd "$DATA" && pwd)
[ "$PREPARE_ONLY" = 0 ] || { echo "data ready: $DATA"; exit 0; }
# width 1.0: the paper's full-width NLCEN (the JSRT bundle's own default is its released model's 0.5)
SET=(dataset_dir="$DATA" image_size=$SIZE width=1.0 epochs=$EPOCHS num_workers=0 progress_bar=false seed=$SEED)
every() {  # the --eval-set arguments (not training settings: changing them keeps the trained models) that
           # attack every $1-th test case, --eval-batch at a time
  echo "validate#dataloader#batch_size=$EVAL_BATCH"
  [ "$1" = 1 ] || echo "test_list=\$nlcen_monai.data.load_datalist(@dataset_dir, 'test')[::$1]"
}
mapfile -t ATTACK_EVAL < <(every "$TEST_EVERY")
mapfile -t STRONG_EVAL < <(every "${STRONG_TEST_EVERY:-$TEST_EVERY}")

echo "== train + targeted I-FGSM sweep ($SIZE x $SIZE, $EPOCHS epochs) -> $OUT  [$(date +%T)]"
SWEEP_EPS=("${PAPER_EPS[@]}")
[ "$SWEEP" = 1 ] || SWEEP_EPS=(0)
$PY -m nlcen_monai.compare --bundle "$BUNDLE" --out "$OUT" --configs "${CONFIGS[@]}" $TRAIN_MODE --eval-procs "$EVAL_PROCS" \
  --set "${SET[@]}" --eval-set "${ATTACK_EVAL[@]}" --epsilons "${SWEEP_EPS[@]}" --attacks targeted_ifgsm
if [ "$STRONG" = 1 ]; then
  echo "== worst case over the strong attacks at eps ${STRONG_EPS[*]}, with the gradient-masking checks  [$(date +%T)]"
  STRONG_CONFIGS=()
  for m in $MODELS; do  # its own results store, OUT/strong/NAME/eval/robustness (its images may not be the sweep's)
    mkdir -p "$OUT/strong/$m"
    ln -sfn "../../$m/models" "$OUT/strong/$m/models"
    spec="$m=${CONFIG[$m]}+configs/attacks/strong.json"
    if [ "${m%_at}" != "$m" ]; then  # transfer from the undefended twin (check d); after strong.json, which sets none
      twin="$(cd "$OUT" && pwd)/${m%_at}/models/model.pt"
      [ -f "$twin" ] || { echo "$m: its undefended twin ${m%_at} must be trained first ($twin)" >&2; exit 1; }
      printf '{"surrogate_checkpoint": "%s"}\n' "$twin" > "$OUT/surrogate_$m.json"
      spec="$spec+$OUT/surrogate_$m.json"
    fi
    STRONG_CONFIGS+=("$spec")
  done
  $PY -m nlcen_monai.compare --bundle "$BUNDLE" --out "$OUT/strong" --configs "${STRONG_CONFIGS[@]}" --skip-train \
    --eval-procs "$EVAL_PROCS" \
    --epsilons "${STRONG_EPS[@]}" \
    --set "${SET[@]}" --eval-set "${STRONG_EVAL[@]}" attack_iterations=$ITERATIONS attack_restarts=$RESTARTS \
    square_queries=$SQUARE
fi
echo "== clean DIC/JSC on the whole test set  [$(date +%T)]"
for m in $MODELS; do
  [ -f "$OUT/$m/models/model.pt" ] || continue
  files="'$BUNDLE/configs/train.json','$BUNDLE/configs/evaluate.json','${CONFIG[$m]%%+*}'"
  $PY -m monai.bundle run --config_file "[$files]" \
    --dataset_dir "$DATA" --image_size "$SIZE" --width 1.0 --num_workers 0 \
    --ckpt_dir "$OUT/$m/models" --output_dir "$OUT/$m/eval_clean" > "$OUT/$m/eval_clean.log" 2>&1
  echo "$m: $(tr '\n' ' ' < "$OUT/$m/eval_clean/metrics.csv")"
done
# the tables cover every model in OUT with results, not only this run's: runs of some models share OUT
SHOWN=() FOLDERS=()
for m in $(printf '%s\n' "${!CONFIG[@]}" | sort); do
  if [ -f "$OUT/$m/eval/robustness/robustness.csv" ]; then SHOWN+=("$m=${CONFIG[$m]}"); fi
  if [ -f "$OUT/strong/$m/eval/robustness/robustness.csv" ]; then FOLDERS+=("$m=$OUT/strong/$m/eval/robustness"); fi
done
if [ ${#SHOWN[@]} -gt ${#CONFIGS[@]} ]; then  # other models' rows too: comparison.csv and the figures again
  echo "== the comparison of every model in $OUT: ${SHOWN[*]%%=*}  [$(date +%T)]"
  $PY -m nlcen_monai.compare --bundle "$BUNDLE" --out "$OUT" --configs "${SHOWN[@]}" --skip-train --skip-eval \
    --set "${SET[@]}" > "$OUT/gather.log" 2>&1
fi
$PY -m nlcen_monai.reports.robustness_table "$OUT/comparison.csv" --size "$SIZE" | tee "$OUT/table.md"
[ ${#FOLDERS[@]} = 0 ] || $PY -m nlcen_monai.reports.worst_case_table "${FOLDERS[@]}" | tee "$OUT/worst_case.md"
echo "== done  [$(date +%T)]"
