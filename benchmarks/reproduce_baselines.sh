#!/usr/bin/env bash
# The paper's central comparison (its Figure 8) on real images: the published baselines InvertedNet, NWCN, CDNN
# and SLSDeep, each without and with NLCE (configs/networks/<net>.json and <net>_nlce.json), on JSRT with the
# settings of the UNet rows of BENCHMARKS.md (128 x 128, 15 epochs, the paper's attack at its 18 intensities on
# every third test image, clean DIC/JSC on all 123), the worst case over configs/attacks/strong.json at eps 8 and
# 32 with the gradient-masking checks at both on every ninth test image; SLSDeep also on the ISIC copy.
# Each pair is one benchmarks/reproduce.sh run (every option of it applies and is passed on), so every step
# resumes where it stopped; the pairs share OUT/jsrt and OUT/isic, and a last step gathers all the models found
# there into one comparison.csv, the tables and the with/without-NLCE figure (figures/targeted_ifgsm/nlce_pairs.png).
#
# usage: benchmarks/reproduce_baselines.sh [--networks "invertednet nwcn cdnn slsdeep"] [--isic-networks "slsdeep"]
#                                          [--jobs N] [--out DIR] [--quick] [any option of reproduce.sh]
#   --networks "..."       the JSRT pairs to run ("" for none); unet is accepted too (its rows are older)
#   --isic-networks "..."  the ISIC pairs to run ("" for none)
#   --jobs N               pairs run at the same time, one thread each (default 1; 2 on a 2-core machine)
#   --out DIR              default runs/baselines (runs/baselines_quick with --quick)
#   --quick                64 x 64, 12 training and 6 test cases, 2 epochs (a smoke run of the whole chain)
#   reproduce.sh's options apply to both datasets: with --data-dir, run one of them (e.g. --isic-networks "")
# With --networks "" --isic-networks "" it only gathers: every dataset folder of OUT that holds results.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
NETWORKS="invertednet nwcn cdnn slsdeep" ISIC_NETWORKS="slsdeep" JOBS=1 OUT="" QUICK=0 PASS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --networks) NETWORKS=$2; shift ;;
    --isic-networks) ISIC_NETWORKS=$2; shift ;;
    --jobs) JOBS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --quick) QUICK=1; PASS+=(--quick) ;;
    --skip-train|--no-sweep|--no-strong|--prepare-only) PASS+=("$1") ;;
    --*) PASS+=("$1" "$2"); shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$OUT" ] || { OUT=runs/baselines; [ "$QUICK" = 0 ] || OUT=${OUT}_quick; }
DEFAULTS=()
[ "$QUICK" = 1 ] || DEFAULTS=(--size 128 --epochs 15 --strong-eps "8 32")
# later options win in reproduce.sh, so the caller's PASS come after these defaults
JSRT=(--dataset jsrt --out "$OUT/jsrt" "${DEFAULTS[@]}")
[ "$QUICK" = 1 ] || JSRT+=(--test-every 3 --strong-test-every 9)
ISIC=(--dataset isic --out "$OUT/isic" "${DEFAULTS[@]}")
[ "$QUICK" = 1 ] || ISIC+=(--test-every 5)

run_pairs() {  # run_pairs DATASET "NETWORKS" ARGS...: one reproduce.sh per pair, at most $JOBS at a time
  local dataset=$1 nets=$2; shift 2
  [ -n "$nets" ] || return 0
  benchmarks/reproduce.sh "$@" "${PASS[@]}" --prepare-only  # convert once, before the pairs share the folder
  local pids=() failed=0 net log
  for net in $nets; do
    log=$OUT/${dataset}_${net}.log
    echo "== $dataset: $net and ${net}_nlce (log: $log)  [$(date +%T)]"
    if [ "$JOBS" -gt 1 ]; then
      OMP_NUM_THREADS=1 benchmarks/reproduce.sh "$@" "${PASS[@]}" --models "$net ${net}_nlce" > "$log" 2>&1 &
      pids+=($!)
      while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 10; done
    else
      benchmarks/reproduce.sh "$@" "${PASS[@]}" --models "$net ${net}_nlce" 2>&1 | tee "$log"
    fi
  done
  for pid in "${pids[@]}"; do wait "$pid" || { echo "a pair failed: see $OUT/${dataset}_*.log" >&2; failed=1; }; done
  return $failed
}

gather() {  # gather DATASET BUNDLE: every pair trained in OUT/DATASET -> comparison.csv, figures, tables
  local dataset=$1 bundle=$2 dir=$OUT/$1 specs=() folders=() cleans=() names=() m data with
  for with in configs/networks/*_nlce.json; do  # every baseline that has an NLCE version
    for m in "$(basename "$with" _nlce.json)" "$(basename "$with" .json)"; do
      [ -f "$dir/$m/eval/robustness/robustness.csv" ] || continue
      specs+=("$m=configs/networks/$m.json") names+=("$m") cleans+=("$m=$dir/$m/eval_clean")
      [ ! -f "$dir/strong/$m/eval/robustness/robustness.csv" ] || folders+=("$m=$dir/strong/$m/eval/robustness")
    done
  done
  [ ${#specs[@]} -gt 0 ] || return 0
  data=""
  for d in "$dir"/data_quick "$dir"/data_[0-9]*; do [ -f "$d/datalist.json" ] && { data=$d; break; }; done
  echo "== $dataset: gathering ${names[*]}  [$(date +%T)]"
  $PY -m nlcen_monai.compare --bundle "$bundle" --out "$dir" --configs "${specs[@]}" --skip-train --skip-eval \
    --set dataset_dir="$(cd "$data" && pwd)" > "$dir/gather.log" 2>&1
  $PY -m nlcen_monai.reports.clean_table "${cleans[@]}" | tee "$dir/clean.md"
  $PY -m nlcen_monai.reports.robustness_table "$dir/comparison.csv" | tee "$dir/table.md"
  [ ${#folders[@]} = 0 ] || $PY -m nlcen_monai.reports.worst_case_table "${folders[@]}" | tee "$dir/worst_case.md"
}

mkdir -p "$OUT"
status=0
run_pairs jsrt "$NETWORKS" "${JSRT[@]}" || status=1
run_pairs isic "$ISIC_NETWORKS" "${ISIC[@]}" || status=1
gather jsrt bundles/nlcen_jsrt
gather isic bundles/nlcen_isbi2016
echo "== done (status $status)  [$(date +%T)]"
exit $status
