"""Evidence rendering: pyvis case graphs and evidence packages.

``package.export_case`` writes a case's package, ``verify.verify_package`` checks one,
``explore.explore_page`` draws a tip's neighbourhood; all pages come from
``page.render_page`` so a case and an exploration look and behave the same.
"""
