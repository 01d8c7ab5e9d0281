#!/usr/bin/env bash
# Reproduce the paper's JSRT experiment on the real radiographs (SCR split: 124 training, 123 test):
# NLCEN-ResNet-18 and UNet, each with and without NLCE, trained with the nlcen_jsrt bundle,
# evaluated clean and under the paper's targeted I-FGSM at all 18 intensities, then PGD and SegPGD
# (2 random starts per image, the worst kept) at eps = 8 and 32 against the same models. Everything goes through
# `python -m nlcen_monai.compare`, so each step resumes: a finished model is not retrained with
# --skip-train, and intensities already in a robustness.csv are not recomputed.
#
# usage: benchmarks/reproduce_jsrt.sh [--quick] [--size N] [--epochs N] [--out DIR] [--png-dir DIR]
#                                     [--skip-train] [--models "nlcen nlcen_wo_nlce unet unet_nlce"]
#                                     [--test-every K] [--restarts N]
#   --test-every K   attack every K-th test case only (clean DIC/JSC always use all 123)
#   --restarts N     PGD/SegPGD random starts per image (default 2)
#   --quick     64 x 64, 12 training and 6 test cases, 2 epochs, 3 intensities (a smoke run, < 15 min)
#   default     256 x 256, 100 epochs (hours on a CPU; use --size 128 --epochs 30 on a 2-core machine)
# The last step prints the markdown table (clean and every intensity, DIC/JSC per model and attack)
# that BENCHMARKS.md records, also written to OUT/table.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
SIZE=256 EPOCHS=100 OUT=runs/jsrt QUICK=0 SKIP_TRAIN="" TEST_EVERY=1 RESTARTS=2
PNG_DIR=../shared/data/jsrt_png
MODELS="nlcen nlcen_wo_nlce unet unet_nlce"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; SIZE=64; EPOCHS=2; OUT=runs/jsrt_quick ;;
    --size) SIZE=$2; shift ;;
    --epochs) EPOCHS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --png-dir) PNG_DIR=$2; shift ;;
    --models) MODELS=$2; shift ;;
    --skip-train) SKIP_TRAIN=--skip-train ;;
    --test-every) TEST_EVERY=$2; shift ;;
    --restarts) RESTARTS=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -d "$PNG_DIR" ] || { echo "JSRT PNG copy not found at $PNG_DIR (see ../shared/data/jsrt_png/README.md)" >&2; exit 1; }

declare -A CONFIG=(
  [nlcen]=configs/networks/nlcen.json [nlcen_wo_nlce]=configs/ablation/wo_nlce.json
  [unet]=configs/networks/unet.json [unet_nlce]=configs/networks/unet_nlce.json
)
CONFIGS=()
for m in $MODELS; do CONFIGS+=("$m=${CONFIG[$m]}"); done

DATA=$OUT/data_${SIZE}
[ -f "$DATA/datalist.json" ] || $PY data_prep/jsrt.py --png-dir "$PNG_DIR" --out "$DATA" --size "$SIZE"
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
  RESTARTS=1
else
  PAPER_EPS=(0.5 1 2 4 6 8 10 12 14 16 18 20 22 24 26 28 30 32)
fi
DATA=$(cd "$DATA" && pwd)
STRONG_SET=("attack_kwargs={\"restarts\": $RESTARTS, \"seed\": 0}")
SET=(dataset_dir="$DATA" image_size=$SIZE epochs=$EPOCHS num_workers=0 progress_bar=false)
ATTACK_SET=("${SET[@]}")
[ "$TEST_EVERY" = 1 ] || ATTACK_SET+=("test_list=\$nlcen_monai.workflows.load_datalist(@dataset_dir, 'test')[::$TEST_EVERY]")

echo "== train + targeted I-FGSM sweep ($SIZE x $SIZE, $EPOCHS epochs) -> $OUT"
$PY -m nlcen_monai.compare --bundle bundles/nlcen_jsrt --out "$OUT" --configs "${CONFIGS[@]}" $SKIP_TRAIN \
  --set "${ATTACK_SET[@]}" --epsilons "${PAPER_EPS[@]}" --attacks targeted_ifgsm
echo "== PGD and SegPGD at eps 8 and 32"
$PY -m nlcen_monai.compare --bundle bundles/nlcen_jsrt --out "$OUT" --configs "${CONFIGS[@]}" --skip-train \
  --set "${ATTACK_SET[@]}" "${STRONG_SET[@]}" --epsilons 8 32 --attacks pgd segpgd
echo "== clean DIC/JSC on the whole test set"
for m in $MODELS; do
  [ -f "$OUT/$m/models/model.pt" ] || continue
  $PY -m monai.bundle run --config_file "['bundles/nlcen_jsrt/configs/train.json','bundles/nlcen_jsrt/configs/evaluate.json','${CONFIG[$m]}']" \
    --dataset_dir "$DATA" --image_size "$SIZE" --num_workers 0 \
    --ckpt_dir "$OUT/$m/models" --output_dir "$OUT/$m/eval_clean" > "$OUT/$m/eval_clean.log" 2>&1
  echo "$m: $(tr '\n' ' ' < "$OUT/$m/eval_clean/metrics.csv")"
done
$PY benchmarks/robustness_table.py "$OUT/comparison.csv" --size "$SIZE" | tee "$OUT/table.md"
