"""Analysis of finished sweeps: replicate statistics, policy comparison, sensitivity indices, figures, reports.

Each module has one job and works on the tidy frame of :func:`experiments.load`:

- :mod:`experiments.analysis.measures`: names, labels and units of the outputs analysed.
- :mod:`experiments.analysis.stats`: t-based confidence intervals of means, paired differences and ratios.
- :mod:`experiments.analysis.comparison`: arms (or points) against a reference on common random numbers.
- :mod:`experiments.analysis.sensitivity`: Sobol and Morris indices through SALib.
- :mod:`experiments.analysis.tables`: Markdown, CSV and LaTeX tables.
- :mod:`experiments.analysis.figures`: the charts, in one style, as PNG and PDF.
- :mod:`experiments.analysis.report`: ``talentflow report SWEEP_DIR`` (report.md, report.html, tables, figures).
"""
