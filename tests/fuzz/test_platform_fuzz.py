"""Platform answers: the client parses mutated bodies, headers and statuses into its own three errors or a result.

Reuses tests/platform/test_client.py's fake transport, good answers and JSON mutations; adds byte-level
mutation of the good bodies (cut-off, garbled, duplicated JSON) and arbitrary Retry-After headers.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from kiosk.platform import CredentialError, PermanentError, RetryableError
from tests.fuzz.mutation import FUZZ, mutated, reuse

client_tests = reuse("platform/test_client.py")
GOOD, call = client_tests.GOOD, client_tests.call
fake_client, FakeAdapter = client_tests.fake_client, client_tests.FakeAdapter
STATUSES = [200, 201, 204, 301, 400, 401, 403, 404, 408, 409, 422, 425, 429, 500, 502, 503]
names = st.sampled_from(sorted(GOOD))
retry_after = (st.none() | st.text(max_size=30) | st.integers(-5, 10**9).map(str)
               | st.just("Wed, 21 Oct 2015 07:28:00 GMT"))


def outcome(name: str, status: int, body, header: str | None):
    headers = {"Retry-After": header} if header is not None else {}
    try:
        return call(name, fake_client(FakeAdapter(status, body, headers)))
    except (RetryableError, PermanentError, CredentialError) as error:
        if isinstance(error, RetryableError) and error.retry_after is not None:
            assert error.retry_after >= 0
        return error


@FUZZ
@given(names, st.sampled_from(STATUSES), st.data(), retry_after)
def test_mutated_answer_bytes_give_a_result_or_a_classified_error(name, status, data, header):
    body = data.draw(mutated(json.dumps(GOOD[name], ensure_ascii=False).encode(), max_ops=5))
    outcome(name, status, body, header)


@FUZZ
@given(names, st.data())
def test_mutated_answer_structures_reuse_the_client_tests_mutations(name, data):
    value = data.draw(client_tests.mutations(GOOD[name]))
    result = outcome(name, data.draw(st.sampled_from([200, 201])), value, None)
    assert result is not None


def test_a_non_ascii_digit_retry_after_is_ignored_not_a_crash():
    # found by the fuzz profile: "²".isdigit() is True but int("²") raises ValueError
    error = outcome("certificates", 503, b"{}", "²")
    assert isinstance(error, RetryableError) and error.retry_after is None
