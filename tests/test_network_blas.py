"""The network section's BLAS threads: one setting for the whole server process, which a
training neither changes nor restores (OpenBLAS's thread count is process-wide, so a
per-training limit changed every other session's BLAS while it ran)."""

from __future__ import annotations

import threading

from threadpoolctl import ThreadpoolController

from optviz_app import network_ui
from optviz_app.state import RunSpec


def blas_threads() -> list[int]:
    return [c.num_threads for c in ThreadpoolController().select(user_api="blas").lib_controllers]


def test_trainings_leave_the_process_blas_setting_alone():
    assert blas_threads() and set(blas_threads()) == {network_ui.BLAS_THREADS}
    seen: list[list[int]] = []
    specs = (RunSpec(optimizer="sgd", lr=0.01), RunSpec(optimizer="adam", lr=0.001))

    def train(seed: int) -> None:
        # what another session's thread sees while this one trains
        network_ui.trained.__wrapped__(
            specs, 1, None, seed, lambda done, total: seen.append(blas_threads())
        )

    threads = [threading.Thread(target=train, args=(seed,)) for seed in (101, 102, 103)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 3  # one epoch each
    assert all(set(s) == {network_ui.BLAS_THREADS} for s in seen)
    assert set(blas_threads()) == {network_ui.BLAS_THREADS}
