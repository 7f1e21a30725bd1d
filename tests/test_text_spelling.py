"""browser.text.spelling: British and American spellings are one word."""

from __future__ import annotations

import pytest

from browser.text.spelling import american
from browser.text.stemming import stem


@pytest.mark.parametrize(
    ("british", "us"),
    [
        ("behaviour", "behavior"),
        ("behaviours", "behaviors"),
        ("behavioural", "behavioral"),
        ("colourful", "colorful"),
        ("favourite", "favorite"),
        ("labour", "labor"),
        ("neighbours", "neighbors"),
        ("optimisation", "optimization"),
        ("optimise", "optimize"),
        ("optimising", "optimizing"),
        ("optimiser", "optimizer"),
        ("regularisation", "regularization"),
        ("tokenisers", "tokenizers"),
        ("generalise", "generalize"),
        ("visualisation", "visualization"),
        ("characterised", "characterized"),
        ("recognise", "recognize"),
        ("summarisation", "summarization"),
        ("analyse", "analyze"),
        ("analysed", "analyzed"),
        ("paralysed", "paralyzed"),
        ("modelling", "modeling"),
        ("modelled", "modeled"),
        ("labelled", "labeled"),
        ("labelling", "labeling"),
        ("travelling", "traveling"),
        ("signalling", "signaling"),
        ("cancelled", "canceled"),
        ("centre", "center"),
        ("fibre", "fiber"),
        ("defence", "defense"),
        ("licence", "license"),
        ("catalogue", "catalog"),
        ("grey", "gray"),
        ("programme", "program"),
        ("ageing", "aging"),
        ("judgement", "judgment"),
        ("artefacts", "artifacts"),
        ("anaemia", "anemia"),
        ("oestrogen", "estrogen"),
        ("tumour", "tumor"),
    ],
)
def test_british_spellings_become_american(british: str, us: str) -> None:
    assert american(british) == us
    assert american(us) == us
    assert stem(american(british)) == stem(american(us))


@pytest.mark.parametrize(
    "word",
    [
        # Endings shared with words that have no variant.
        "hour",
        "four",
        "your",
        "pour",
        "tour",
        "contour",
        "detour",
        "flour",
        "promise",
        "noise",
        "rise",
        "wise",
        "exercise",
        "expertise",
        "precise",
        "surprise",
        "advise",
        "compromise",
        "enterprise",
        "supervise",
        "premise",
        "otherwise",
        "filled",
        "called",
        "killed",
        "controlled",
        "installed",
        "spelling",
        "telling",
        "analysis",
        "analyses",
        "centered",
        "defense",
        "modeling",
        "organism",
        "realism",
        "gpt4",
        "rl",
    ],
)
def test_words_without_a_variant_stay(word: str) -> None:
    assert american(word) == word
