"""The Celery backend against a real redis-server and real `python -m bot worker` processes:
the same answers and the same error types as the local pool, bounded waits when no worker or
no Redis is there, and what /stats reads."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.domain.models import ImageFlaw
from bot.ocr.backends.pool import OcrPool
from bot.ocr.backends.taskqueue.backend import CeleryBackend
from bot.ocr.contract import EngineConfig, OcrTimeout, OcrUnavailable, WorkerLost
from bot.ocr.images.intake import ImageRejected
from tests.support.bot_process import WorkerProcess
from tests.support.images import (
    FIRST_LINE,
    NOTE_LINES,
    UNSURE_LINES,
    render_note,
    words_prefix_of,
)
from tests.support.redis_server import RedisServer, free_port

pytestmark = pytest.mark.asyncio(loop_scope="module")
CONFIG = EngineConfig(language="ENG", auto_download=False)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def redis(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def worker(
    redis: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkerProcess]:
    process = WorkerProcess(redis.url, tmp_path_factory.mktemp("worker"), OCR_TIMEOUT_S="60")
    await process.start()
    try:
        await process.ready()
        yield process
    finally:
        await process.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def backend(redis: RedisServer) -> AsyncIterator[CeleryBackend]:
    service = CeleryBackend(CONFIG, broker_url=redis.url, timeout_s=60)
    service.start()
    yield service
    await service.close()


async def test_a_worker_reads_an_image_as_the_local_pool_does(
    backend: CeleryBackend, worker: WorkerProcess, ocr_pool: OcrPool
) -> None:
    image = render_note(NOTE_LINES)
    remote, local = await asyncio.gather(backend.recognize(image), ocr_pool.recognize(image))
    assert [line.text for line in remote.lines] == [line.text for line in local.lines]
    assert words_prefix_of(remote.lines[0].text, FIRST_LINE)
    assert (remote.trial, remote.model) == (local.trial, local.model)
    assert backend.licensed is (not remote.trial)
    assert backend.in_flight == 0
    assert len(backend.timings.reading) == 1
    assert len(backend.timings.waiting) == 1


async def test_pieces_of_the_photo_come_back_as_from_the_local_pool(
    backend: CeleryBackend, worker: WorkerProcess, ocr_pool: OcrPool
) -> None:
    """With the reading (`crop_below`) and cut again later (`cut`, its own task): the same
    JPEG bytes as the local pool's, through JSON and Redis."""
    image = render_note(UNSURE_LINES, fmt="JPEG")
    remote, local = await asyncio.gather(
        backend.recognize(image, crop_below=1.01), ocr_pool.recognize(image, crop_below=1.01)
    )
    assert remote.crops == local.crops
    assert any(piece is not None for piece in remote.crops)
    boxes = [line.box for line in remote.lines]
    assert await backend.cut(image, boxes) == remote.crops
    assert await backend.cut(image, [None]) == [None]


async def test_errors_are_the_local_pools_types(
    backend: CeleryBackend, worker: WorkerProcess
) -> None:
    with pytest.raises(ImageRejected) as caught:
        await backend.recognize(b"this is not an image at all")
    assert caught.value.flaw in {ImageFlaw.DAMAGED, ImageFlaw.NOT_AN_IMAGE}
    assert await backend.language_problem("ENG") is None
    assert await backend.language_problem("RUS")  # a model that is not installed here
    names = await backend.languages()
    assert "ENG" in names
    assert len(names) > 100


async def test_status_shows_the_queue_and_the_workers(
    backend: CeleryBackend, worker: WorkerProcess
) -> None:
    status = await backend.status()
    assert status.kind == "celery"
    assert status.broker_reachable
    assert status.queued == 0
    assert status.workers == 1
    assert status.worker_names[0].startswith(f"ocr-{worker.process.pid}@")


async def test_a_pool_child_dying_mid_image_is_an_ocr_failure(
    backend: CeleryBackend, worker: WorkerProcess
) -> None:
    """Only the child dies (the worker lives on): the engine crashed on this image, so it
    counts against the image, as a dead worker process does with the local pool."""
    started_pattern = r"event=ocr_task_started task=\S+ pid=(\d+)"
    before = len(worker.matches(started_pattern))
    done = len(worker.matches("event=ocr_task_done"))
    ready = len(worker.matches("event=ocr_worker_ready"))
    reading = asyncio.create_task(backend.recognize(render_note(NOTE_LINES * 3)))
    started = await worker.wait_logged(started_pattern, skip=before)
    os.kill(int(started.group(1)), signal.SIGKILL)
    with pytest.raises(WorkerLost, match="died"):  # as from the local pool: tried again
        await asyncio.wait_for(reading, 60)
    assert len(worker.matches("event=ocr_task_done")) == done
    # The worker replaces the child and reads the next image.
    await worker.wait_logged("event=ocr_worker_ready", skip=ready)
    assert (await backend.recognize(render_note(NOTE_LINES))).lines


async def test_the_per_task_time_limit_is_an_ocr_timeout(
    redis: RedisServer, tmp_path: Path
) -> None:
    """A worker whose OCR_TIMEOUT_S is shorter than reading this image takes: the pool child is
    stopped by Celery's hard time limit and the bot gets OcrTimeout. Own Redis database, so
    the other tests' worker doesn't take the task."""
    url = redis.url.removesuffix("/0") + "/1"
    slow = WorkerProcess(url, tmp_path, "slow", OCR_TIMEOUT_S="0.3")
    await slow.start()
    service = CeleryBackend(CONFIG, broker_url=url, timeout_s=0.3)
    service.start()
    try:
        await slow.ready()
        with pytest.raises(OcrTimeout):
            await asyncio.wait_for(service.recognize(render_note(NOTE_LINES * 4, width=2400)), 60)
    finally:
        await service.close()
        await slow.stop()


async def test_no_worker_and_no_redis_are_unavailable_not_failed() -> None:
    """Bounded waits that are not the image's fault: OcrUnavailable (the photo waits)."""
    nowhere = CeleryBackend(
        CONFIG, broker_url=f"redis://127.0.0.1:{free_port()}/0", broker_grace_s=1
    )
    nowhere.start()
    try:
        with pytest.raises(OcrUnavailable, match="unreachable"):
            await asyncio.wait_for(nowhere.recognize(render_note(NOTE_LINES)), 30)
        status = await nowhere.status()
        assert not status.broker_reachable
    finally:
        await nowhere.close()


async def test_a_question_nobody_answers_is_unavailable(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    await server.start()
    lonely = CeleryBackend(CONFIG, broker_url=server.url, question_timeout_s=1)
    lonely.start()
    try:
        with pytest.raises(OcrUnavailable, match="no OCR worker"):
            await lonely.languages()
        status = await lonely.status()
        assert (status.workers, status.queued) == (0, 1)  # the question waits in Redis
    finally:
        await lonely.close()
        await server.stop()


async def test_an_answer_lost_to_redis_is_the_queues_fault(redis: RedisServer) -> None:
    """A worker that read the image but whose answer could not be stored (Redis away for longer
    than its tries) records the connection error as the task's failure. Produced here through
    Celery's own result backend, as the worker's would store it (timing a real Redis restart
    into the moment of storing is not repeatable): OcrUnavailable, so the photo is read again,
    never "the engine failed". Own Redis database: no worker takes the task."""
    from celery.states import FAILURE
    from kombu.exceptions import OperationalError

    url = redis.url.removesuffix("/0") + "/2"
    service = CeleryBackend(CONFIG, broker_url=url, timeout_s=60)
    service.start()
    try:
        reading = asyncio.create_task(service.recognize(render_note(NOTE_LINES)))
        for _ in range(200):  # the task id, once sent
            if service._waiting:
                break
            await asyncio.sleep(0.05)  # nothing to wait on but the set
        (task_id,) = service._waiting
        lost = OperationalError("Error 111 connecting to 127.0.0.1. Connection refused.")
        service._app.backend.store_result(task_id, lost, FAILURE)
        with pytest.raises(OcrUnavailable, match="could not store"):
            await asyncio.wait_for(reading, 30)
    finally:
        await service.close()
