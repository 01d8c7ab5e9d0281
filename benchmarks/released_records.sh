# Sourced by the scripts that resume from or compare with the released model's committed records
# (benchmarks/release_evaluation.sh, benchmarks/gpu_campaign.sh), so that they cannot disagree on where those are.
# The records stay under the bundle version they were made with (the model is the same since bundle 0.4.0):
# a release of another model gets its own folder, and this line changes with it.
RELEASE_RESULTS=${RELEASE_RESULTS:-results/nlcen_jsrt/0.5.1}
