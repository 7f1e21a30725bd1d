"""One text pipeline (pure: no Whoosh, no Textual), one job per module.

``normalise`` (how text is compared), ``tokens`` (what a reader sees as words),
``stemming`` (Snowball English), ``spelling`` (British/American), ``acronyms``
(built-in and mined abbreviations), ``query_text`` (a pasted or typed query made one
line with plain quotes). Identity, the search analyzers, the query parser, highlights
and the vocabulary all go through it, so they never disagree on what a word is.
"""
