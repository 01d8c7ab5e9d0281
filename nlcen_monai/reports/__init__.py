"""Generators of the markdown tables that the documentation quotes from result records, one module per report,
each runnable as ``python -m nlcen_monai.reports.<name>`` and imported by its own path (the package itself
exports nothing, so that no report module is imported before ``python -m`` runs it).

- :mod:`~nlcen_monai.reports.corruption_table`: the model card's corruption table from a corruption
  evaluation's record; ``--write FILE`` rewrites the block between its markers in a markdown file;
- :mod:`~nlcen_monai.reports.quality_flags_table`: the same for the record of ``benchmarks/quality_flags.py``;
  :mod:`~nlcen_monai.reports.markdown_block` holds the marker block and ``--write``/``--check`` both share;
- :mod:`~nlcen_monai.reports.figures`: how every report prints a mean: with n and its 95 % bootstrap interval
  (paired for drops and differences), or with n alone and one line saying so for a record without per-image values;
- :mod:`~nlcen_monai.reports.worst_case_table`: the worst-case tables (DIC, gradient-masking checks, cost, and each
  model minus the first, paired) of results stores;
- :mod:`~nlcen_monai.reports.model_differences`: one model's worst case minus another's, paired over the images
  both records hold, and the decision only where its interval excludes zero;
- :mod:`~nlcen_monai.reports.robustness_table`: the paper's table from a ``comparison.csv`` of
  ``nlcen_monai.compare``;
- :mod:`~nlcen_monai.reports.clean_table`: clean DIC/JSC of several ``evaluate.json`` outputs;
- :mod:`~nlcen_monai.reports.seed_spread`: NLCE's gain against the spread between training seeds;
- :mod:`~nlcen_monai.reports.campaign_table`: the defense campaign's table (``benchmarks/defense_campaign.sh``), each
  run's screen minus a reference's;
- :mod:`~nlcen_monai.reports.release_figures`: a released model's figures from its per-image record (clean and
  worst case with n and intervals, each intensity's checks): the model card's table, the README sentence and
  ``metadata.json``'s ``eval_metrics``, written or checked (``--check``).
"""

from __future__ import annotations

__all__: list[str] = []
