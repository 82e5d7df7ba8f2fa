"""The errcode family: one class per code, and a database hiccup read as "busy, retry"."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from miniport.platform.miniprogram_api import errors


@pytest.mark.parametrize(
    ("error", "errcode"),
    [
        (errors.Busy, -1),
        (errors.InvalidCredential, 40001),
        (errors.InvalidGrantType, 40002),
        (errors.InvalidAppid, 40013),
        (errors.InvalidSecret, 40125),
        (errors.InvalidCode, 40029),
        (errors.BlockedUser, 40226),
        (errors.QuotaReached, 45009),
        (errors.RateLimited, 45011),
        (errors.InvalidPagePath, 40165),
        (errors.InvalidQuery, 40212),
        (errors.ExpiryOutOfRange, 85401),
        (errors.MalformedData, 47001),
        (errors.BadParameters, 40097),
    ],
)
def test_each_error_carries_its_code_and_a_message(
    error: type[errors.MiniProgramApiError], errcode: int
) -> None:
    raised = error()
    assert isinstance(raised, errors.MiniProgramApiError)
    assert raised.as_dict() == {"errcode": errcode, "errmsg": error.default_errmsg}
    assert error("details").as_dict() == {"errcode": errcode, "errmsg": "details"}


def test_port_closed_names_its_reason() -> None:
    closed = errors.PortClosed("host_suspended")
    assert closed.reason == "host_suspended"
    assert closed.as_dict() == {"errcode": 89300, "errmsg": "port closed: host_suspended"}


def test_a_database_timeout_answers_busy() -> None:
    with pytest.raises(errors.Busy), errors.busy_on_database_errors():
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
