#!/usr/bin/env bash
# The released JSRT model's checked robustness evaluation on the reporting images, resumable across sessions
# and machines.
#
# The reporting images are the 109 test images that chose nothing (nlcen_monai.data.evaluation_subset(...,
# 'reporting'): every ninth test image is kept apart for selection). The worst case is configs/attacks/strong.json
# with the four gradient-masking checks at every intensity on a fixed random --sample of the images (the
# interval rule then says whether the sample sufficed), with the budget chosen on the selection images
# (--budget, default REPORTING_BUDGET of benchmarks/released_records.sh: configs/attacks/budget_js_eps100_450.json,
# the paper's attack and APGD-JS, red-eps, 100 iterations at eps 8 and 450 at eps 32; the published
# RELEASE_RESULTS/reporting/ was made with configs/attacks/budget_js300.json, 300 iterations at every eps).
#
# The per-image record is the figure: it is written after every batch into OUT/robustness/ (one journal per
# process until the run ends), and merged into RECORD (default REPORTING_RECORD of benchmarks/released_records.sh:
# results/nlcen_jsrt/0.5.1/reporting_js_eps100_450/, committed) whenever this script stops, done or interrupted.
# A run on a fresh machine starts from RECORD: finished images are not attacked again, and
# since an image's checks run with its worst case, the record alone is enough to resume. When the record is
# complete, the model card, README and metadata.json figures are generated from it:
#   python -m nlcen_monai.reports.release_figures RECORD --card bundles/nlcen_jsrt/docs/README.md ...
#
# usage: benchmarks/release_evaluation.sh [--procs N] [--epsilons "[8, 32]"] [--sample F] [--size N]
#                                         [--out DIR] [--record DIR] [--data-dir DIR] [--test-list EXPR]
#                                         [--budget FILE]
#                                         [-- BUNDLE ARGS...]
#   --procs     CPU processes (torchrun with gloo, one thread each; default 2); 1 runs without torchrun
#   --epsilons  the intensities, a JSON list (default "[8, 32]")
#   --sample    the share of the images the checks run on (default 0.25)
#   --size      the converted JSRT size (default 128, the released model's)
#   --test-list the bundle's test_list expression (default: the reporting images)
#   --out       the run folder (default runs/release_<RECORD's folder name>); --record the record it keeps
#   --budget    the worst case's budget, stacked after strong.json (default REPORTING_BUDGET); a record is
#               resumed only with the budget it was started with (the store refuses another attack)
#   arguments after -- go to `python -m monai.bundle run` as they are (e.g. --test_list, --attack_iterations)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
PROCS=2 EPSILONS="[8, 32]" SAMPLE=0.25 SIZE=128 OUT="" RECORD="" DATA_DIR=../shared/data/jsrt_png
BUDGET=""
TEST_LIST="\$nlcen_monai.data.evaluation_subset(@dataset_dir, 'reporting')"
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --procs) PROCS=$2; shift ;;
    --epsilons) EPSILONS=$2; shift ;;
    --sample) SAMPLE=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --out) OUT=$2; shift ;;
    --record) RECORD=$2; shift ;;
    --data-dir) DATA_DIR=$2; shift ;;
    --test-list) TEST_LIST=$2; shift ;;
    --budget) BUDGET=$2; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
B=bundles/nlcen_jsrt
source benchmarks/released_records.sh  # REPORTING_RECORD and REPORTING_BUDGET: the release's evaluation
RECORD=${RECORD:-$REPORTING_RECORD}
BUDGET=${BUDGET:-$REPORTING_BUDGET}
OUT=${OUT:-runs/release_$(basename "$RECORD")}  # a run folder per record: a folder resumed with another budget is refused
DATA=$OUT/data_$SIZE
FILES=(robustness.csv robustness.json robustness_per_image.csv)

stamp() { echo "[$(date -u +%H:%M:%S)] $*"; }

if [ ! -f "$DATA/datalist.json" ]; then
  stamp "converting JSRT at $SIZE px into $DATA"
  $PY data_prep/jsrt.py --png-dir "$DATA_DIR" --out "$DATA" --size "$SIZE"
fi
mkdir -p "$OUT/robustness" "$RECORD"
if [ -f "$RECORD/robustness_per_image.csv" ] && [ ! -f "$OUT/robustness/robustness_per_image.csv" ]; then
  stamp "resuming from the committed record $RECORD"
  for f in "${FILES[@]}"; do [ ! -f "$RECORD/$f" ] || cp "$RECORD/$f" "$OUT/robustness/$f"; done
fi

keep_record() {  # the rows so far, the journals of an interrupted multi-process run merged in
  $PY -c "import sys; from nlcen_monai.robustness import ResultFiles, RobustnessResult
r = RobustnessResult.load(ResultFiles.in_dir(sys.argv[1]))
r.save(ResultFiles.in_dir(sys.argv[2])) if r.per_image else None" "$OUT/robustness" "$RECORD"
  stamp "record kept in $RECORD (commit it)"
}
trap keep_record EXIT

CONFIGS="'$B/configs/train.json','$B/configs/adversarial.json','configs/attacks/strong.json','$BUDGET'"
RUN=($PY -m monai.bundle run)
if [ "$PROCS" -gt 1 ]; then
  CONFIGS="$CONFIGS,'$B/configs/multi_gpu_adversarial.json'"
  RUN=($PY -m torch.distributed.run --nproc_per_node="$PROCS" -m monai.bundle run)
fi
stamp "evaluating on $PROCS process(es), eps $EPSILONS, checks on a $SAMPLE sample"
OMP_NUM_THREADS=1 "${RUN[@]}" --config_file "[$CONFIGS]" \
  --dataset_dir "$DATA" --num_workers 0 --num_threads 1 --validate#dataloader#batch_size 2 \
  --epsilons "$EPSILONS" --checks#sample "$SAMPLE" \
  --test_list "$TEST_LIST" \
  --ckpt_dir "$B/models" --output_dir "$OUT" "${EXTRA[@]}"
stamp "done"
