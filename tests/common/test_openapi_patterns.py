"""The patterns the host's and the store's documents give form fields say exactly what the
form reader takes: a value matches its field's pattern if and only if ``FormData`` reads it
(``miniport.common.openapi.text`` and ``decimal`` against ``miniport.common.forms``)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from miniport.common.forms import FormData, FormError
from miniport.common.openapi import decimal, text

RANGES = [(0, 0), (0, 9), (1, 5), (0, 99), (7, 1234), (99, 100), (1, 2_147_483_647)]


def reads(action: Callable[[], object]) -> bool:
    try:
        action()
    except FormError:
        return False
    return True


@pytest.mark.parametrize(("minimum", "maximum"), RANGES)
@given(value=st.one_of(st.integers(-5, 10**11).map(str), st.text(max_size=14)))
@example(value="007")
@example(value="+5")
@example(value=" 5")
@example(value="1_0")
@example(value="٥")
@example(value="2147483648")
def test_a_number_matches_its_pattern_exactly_when_the_reader_takes_it(
    minimum: int, maximum: int, value: str
) -> None:
    form = FormData(fields={"n": (value,)})
    pattern = decimal(minimum, maximum)["pattern"]

    taken = reads(lambda: form.integer("n", minimum=minimum, maximum=maximum))

    assert bool(re.fullmatch(pattern, value)) is taken


@pytest.mark.parametrize("multiline", [False, True])
@pytest.mark.parametrize("filled", [False, True])
@given(value=st.text(max_size=12))
@example(value="\t")
@example(value="a\nb")
@example(value="\u3000")
@example(value=" x ")
@example(value="\x85")
def test_text_matches_its_pattern_exactly_when_the_reader_takes_it(
    multiline: bool, filled: bool, value: str
) -> None:
    form = FormData(fields={"t": (value,)})
    schema = text(max_length=10, multiline=multiline, filled=filled)
    read = form.required if filled else form.text

    taken = reads(lambda: read("t", max_length=10, multiline=multiline))

    matches = re.fullmatch(schema["pattern"], value) is not None
    assert (matches and len(value) <= schema["maxLength"]) is taken
