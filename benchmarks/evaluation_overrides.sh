# Sourced by benchmarks/defense_campaign.sh and benchmarks/gpu_campaign.sh: the overrides of a campaign run that
# its evaluations take. A run's trainer arguments (--train#trainer#<argument> value) are for its training only:
# the evaluations' configs (train.json with evaluate.json or adversarial.json) do not stack the defense override,
# so a nested one (--train#trainer#attack#steps 2) names a key they lack and would stop the evaluation.
#
# usage: evaluation_overrides ARGS...   (sets the array EVALUATION_OVERRIDES: ARGS without the trainer's pairs)
evaluation_overrides() {
  EVALUATION_OVERRIDES=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --train\#trainer\#*) [ $# -lt 2 ] || shift ;;  # the argument and its value
      *) EVALUATION_OVERRIDES+=("$1") ;;
    esac
    shift
  done
}
