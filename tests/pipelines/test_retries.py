"""Transient I/O errors are retried with backoff; validation errors are not retried."""

import errno

import dagster as dg
import pytest

from pipelines.common import is_transient, retry_transient_io


def _run(error: Exception, fail_times: int) -> tuple[dg.ExecuteInProcessResult, list[int]]:
    attempts: list[int] = []

    @dg.asset
    def flaky(context: dg.AssetExecutionContext) -> None:
        attempts.append(context.retry_number)
        with retry_transient_io(context):
            if len(attempts) <= fail_times:
                raise error

    job = dg.Definitions(assets=[flaky], executor=dg.in_process_executor).resolve_implicit_global_asset_job_def()
    with dg.instance_for_test() as instance:
        return job.execute_in_process(instance=instance, raise_on_error=False), attempts


def test_a_transient_error_is_retried_then_the_step_succeeds() -> None:
    result, attempts = _run(OSError(errno.EBUSY, "device busy"), fail_times=1)
    assert result.success and attempts == [0, 1]


def test_a_validation_error_is_not_retried() -> None:
    result, attempts = _run(ValueError("bad delivery"), fail_times=5)
    assert not result.success and attempts == [0]


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (OSError(errno.EIO, "i/o"), True),
        (TimeoutError("slow mount"), True),
        (FileNotFoundError(errno.ENOENT, "gone"), False),
        (ValueError("no"), False),
    ],
)
def test_which_errors_are_transient(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient
