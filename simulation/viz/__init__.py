"""The live demo page (``talentflow viz``): a policy run against its no-policy baseline, in the browser.

Needs the ``viz`` extra (``pip install -e '.[viz]'``). Modules: :mod:`~simulation.viz.demo` (the model behind the
page), :mod:`~simulation.viz.components` (the views), :mod:`~simulation.viz.app` (the page),
:mod:`~simulation.viz.server` and :mod:`~simulation.viz.cli` (the launcher). See docs/demo.md.
"""
