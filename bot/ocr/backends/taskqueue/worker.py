"""`python -m bot worker`: one OCR worker of the task queue, on any machine with the engine.

A Celery worker with a prefork pool of OCR_WORKERS processes; each loads and warms the engine
before it takes a task. It reads the bot's settings (engine, license, languages, resources
folder, OCR_TIMEOUT_S, OCR_BROKER_URL) but needs neither the bot token nor the database: a
task brings the image and the bot's engine settings, the answer goes back through Redis.
"""

from __future__ import annotations

import base64
import binascii
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from dataclasses import replace
from typing import Any

import redis
from celery import Celery, Task, bootsteps
from celery.exceptions import Ignore
from celery.signals import worker_process_init

from bot.config import Settings
from bot.domain.models import Box
from bot.logs import configure_logging
from bot.ocr.backends.taskqueue.app import (
    CHECK_LANGUAGE,
    CHILD_START_TIMEOUT_S,
    CUT,
    JOB_HEADER,
    LANGUAGES,
    QUEUE,
    RECOGNIZE,
    make_celery,
)
from bot.ocr.backends.taskqueue.broker import BrokerRefused, check_credentials
from bot.ocr.backends.taskqueue.tickets import Arrival, Verdict, check_in, check_out
from bot.ocr.backends.taskqueue.wire import WIRE_ERRORS, error_to_wire, from_wire, to_wire
from bot.ocr.backends.worker import (
    init_worker,
    worker_check_language,
    worker_cut,
    worker_languages,
    worker_recognize,
    worker_warm_up,
)
from bot.ocr.contract import TRIAL_HINT, EngineConfig, ImageGivenUp, OcrFailed
from bot.ocr.engines.factory import prepare_runtime
from bot.ocr.engines.prerequisites import EngineUnavailable, check_engine_runtime

log = logging.getLogger(__name__)

# Settings that describe this machine rather than the request: a worker host has its own
# paths, license file and download policy, whatever the bot's host has.
MACHINE_FIELDS = (
    "license_path",
    "resources_dir",
    "auto_download",
    "openssl_dir",
    "model_recheck_s",
)

# Set in the worker's main process before the pool forks, so every child inherits them.
_settings: Settings | None = None
_start_failed: Any = None  # a shared int: a child sets it when its engine can't start
_warm_children: Any = None  # a shared counter: children whose engine is warm
_tickets: redis.Redis | None = None  # each child's own connection for `tickets`


def _tickets_client() -> redis.Redis:
    global _tickets
    if _tickets is None:
        assert _settings is not None
        assert _settings.ocr_broker_url is not None
        _tickets = redis.Redis.from_url(
            _settings.ocr_broker_url, socket_connect_timeout=5, socket_timeout=5
        )
    return _tickets


def _local_config() -> EngineConfig:
    assert _settings is not None
    return EngineConfig.from_settings(_settings)


def for_this_machine(requested: EngineConfig) -> EngineConfig:
    """The bot's engine settings, with this machine's own paths and license."""
    local = _local_config()
    return replace(requested, **{name: getattr(local, name) for name in MACHINE_FIELDS})


def recognize_task(
    task: Task,
    config: dict[str, Any],
    image: str,
    language: str | None,
    crop_below: float | None = None,
) -> dict[str, Any]:
    """OCR one image. Errors that are the image's (or the engine's) are answered as data, so
    the bot raises the same exception types as with the local pool.

    A task that names its job (JOB_HEADER) is first checked in (`tickets`): one the bot has
    sent again since is skipped (no result: the bot waits for the new one), and an image that
    has killed MAX_ATTEMPTS workers already is answered as given up."""
    job = task.request.get(JOB_HEADER)
    job = str(job) if job is not None else None
    arrival = Arrival(Verdict.READ)
    if job is not None:
        arrival = check_in(_tickets_client(), job, task.request.id)
        if arrival.verdict is Verdict.SUPERSEDED:
            log.info("event=ocr_task_superseded task=%s", task.request.id)
            raise Ignore()  # acknowledged, no result stored
        if arrival.verdict is Verdict.GIVEN_UP:
            log.warning(
                "event=ocr_task_given_up task=%s deaths=%d", task.request.id, arrival.deaths
            )
            given_up = ImageGivenUp(f"{arrival.deaths} workers died reading it")
            return {"error": error_to_wire(given_up)}
    try:
        return _recognize(task, config, image, language, crop_below, arrival.deaths)
    finally:
        if job is not None:
            check_out(_tickets_client(), job, arrival)


def _recognize(
    task: Task,
    config: dict[str, Any],
    image: str,
    language: str | None,
    crop_below: float | None,
    deaths: int,
) -> dict[str, Any]:
    started = time.monotonic()
    delivery = task.request.delivery_info or {}
    log.info(
        "event=ocr_task_started task=%s pid=%d redelivered=%s deaths=%d",
        task.request.id,
        os.getpid(),
        bool(delivery.get("redelivered")),
        deaths,
    )
    try:
        data = base64.b64decode(image, validate=True)
        engine = for_this_machine(from_wire(EngineConfig, config))
        outcome = worker_recognize(engine, data, language, crop_below)
    except binascii.Error:
        return {"error": error_to_wire(OcrFailed("the image arrived damaged"))}
    except WIRE_ERRORS as error:
        log.info("event=ocr_task_failed task=%s error=%s", task.request.id, type(error).__name__)
        return {"error": error_to_wire(error)}
    log.info(
        "event=ocr_task_done task=%s lines=%d ocr_s=%.2f seconds=%.2f",
        task.request.id,
        len(outcome.lines),
        outcome.elapsed_s,
        time.monotonic() - started,
    )
    return {"outcome": to_wire(outcome)}


def languages_task(task: Task, config: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"outcome": worker_languages(for_this_machine(from_wire(EngineConfig, config)))}
    except WIRE_ERRORS as error:
        return {"error": error_to_wire(error)}


def check_language_task(task: Task, config: dict[str, Any], language: str) -> dict[str, Any]:
    try:
        engine = for_this_machine(from_wire(EngineConfig, config))
        return {"outcome": worker_check_language(engine, language)}
    except WIRE_ERRORS as error:
        return {"error": error_to_wire(error)}


def cut_task(task: Task, config: dict[str, Any], image: str, boxes: list[Any]) -> dict[str, Any]:
    """Pieces of an image read earlier (a note's page), one per box."""
    try:
        data = base64.b64decode(image, validate=True)
        wanted = from_wire(list[Box | None], boxes)
        pieces = worker_cut(from_wire(EngineConfig, config), data, wanted)
    except binascii.Error:
        return {"error": error_to_wire(OcrFailed("the image arrived damaged"))}
    except WIRE_ERRORS as error:
        return {"error": error_to_wire(error)}
    return {"outcome": to_wire(pieces)}


def register_tasks(app: Celery) -> None:
    app.task(name=RECOGNIZE, bind=True)(recognize_task)
    app.task(name=CUT, bind=True)(cut_task)
    app.task(name=LANGUAGES, bind=True)(languages_task)
    app.task(name=CHECK_LANGUAGE, bind=True)(check_language_task)


def _child_started(**_: Any) -> None:
    """In each pool child, before its first task: lower priority, import and warm the engine.

    If the engine can't start (a rejected license, say), the whole worker stops with the
    reason rather than taking tasks it can't read.
    """
    assert _settings is not None
    init_worker(_settings.log_level)
    try:
        prepare_runtime(_local_config())
        licensed, seconds = worker_warm_up(_local_config())
    except (EngineUnavailable, OcrFailed) as error:
        log.error("event=ocr_worker_engine_failed pid=%d error=%s", os.getpid(), error)
        _start_failed.value = 1
        os.kill(os.getppid(), signal.SIGTERM)
        return
    with _warm_children.get_lock():
        _warm_children.value += 1
    log.info(
        "event=ocr_worker_ready pid=%d engine=%s licensed=%s warm_up_s=%.2f",
        os.getpid(),
        _settings.ocr_engine,
        licensed,
        seconds,
    )
    if not licensed:
        log.warning("event=ocr_trial_mode hint=%r", TRIAL_HINT)


class WarmPool(bootsteps.StartStopStep):  # type: ignore[misc]  # celery is untyped
    """Holds the worker's consumer back until every pool child has warmed its engine.

    Celery starts consuming as soon as the children are forked; a task taken then would wait
    seconds for the engine while its visibility timeout runs (and the photo could go to a
    worker that is ready). The consumer step starts last, after this one.
    """

    requires = ("celery.worker.components:Pool",)

    def start(self, parent: Any) -> None:
        deadline = time.monotonic() + CHILD_START_TIMEOUT_S
        while _warm_children.value < parent.concurrency and not _start_failed.value:
            if time.monotonic() > deadline:
                log.warning("event=ocr_worker_slow_start waited_s=%g", CHILD_START_TIMEOUT_S)
                return
            time.sleep(0.05)


def run_worker(settings: Settings) -> int:
    """Run one worker until SIGTERM/SIGINT (it finishes or gives back its tasks); exit code."""
    global _settings, _start_failed, _warm_children
    configure_logging(settings.log_level, token="")
    if settings.ocr_broker_url is None:
        print("error: OCR_BROKER_URL is not set (redis://host:6379/0)", file=sys.stderr)
        return 2
    try:
        check_credentials(settings.ocr_broker_url)
        if settings.ocr_engine == "aspose":
            check_engine_runtime(settings.aspose_openssl_dir)  # before the pool forks
    except (BrokerRefused, EngineUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _settings = settings
    _start_failed = multiprocessing.RawValue("i", 0)
    _warm_children = multiprocessing.Value("i", 0)
    app = make_celery(settings.ocr_broker_url, settings.ocr_timeout_s, settings.ocr_result_ttl_s)
    register_tasks(app)
    app.steps["worker"].add(WarmPool)
    # Our own event=ocr_task_done lines say what matters; Celery's would print part of the
    # result (recognised text) into the log.
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
    worker_process_init.connect(_child_started, weak=False)
    log.info(
        "event=ocr_worker_starting processes=%d timeout_s=%g queue=%s",
        settings.ocr_workers,
        settings.ocr_timeout_s,
        QUEUE,
    )
    worker = app.Worker(
        hostname=f"ocr-{os.getpid()}@{socket.gethostname()}",
        concurrency=settings.ocr_workers,
        pool_cls="prefork",
        optimization="fair",
        queues=[QUEUE],
        loglevel=settings.log_level,
        quiet=True,
        without_mingle=True,
        without_gossip=True,
        without_heartbeat=True,
    )
    worker.start()
    if _start_failed.value:
        print("error: the OCR engine could not start; see the log above", file=sys.stderr)
        return 1
    return int(worker.exitcode or 0)
