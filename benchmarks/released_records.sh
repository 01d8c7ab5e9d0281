# Sourced by the scripts that resume from or compare with the released model's committed records
# (benchmarks/release_evaluation.sh, benchmarks/gpu_campaign.sh), so that they cannot disagree on where those are.
# The records stay under the bundle version they were made with (the model is the same since bundle 0.4.0):
# a release of another model gets its own folder, and this line changes with it.
RELEASE_RESULTS=${RELEASE_RESULTS:-results/nlcen_jsrt/0.5.1}
# The release's checked evaluation on the reporting images: the budget it runs with and the record it resumes
# and keeps. The model card quotes this record once it is complete (tests/bundles/test_model_card_figures.py
# fails until it does); until then it quotes RELEASE_RESULTS/reporting, made with configs/attacks/budget_js300.json.
REPORTING_BUDGET=${REPORTING_BUDGET:-configs/attacks/budget_js_eps100_450.json}
REPORTING_RECORD=${REPORTING_RECORD:-$RELEASE_RESULTS/reporting_js_eps100_450}
