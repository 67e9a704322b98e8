"""`kpibot run` with channel credentials: Telegram and/or LINE and the reminders, on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.run.config import Settings
from bot.run.process import WorkerSpec
from bot.run.runtime import Runtime
from bot.store.sqlite import SqliteStore
from scoring.loader import load_all

log = logging.getLogger("kpibot")


async def serve(conf: Settings, stop: asyncio.Event | None = None) -> None:
    """Run every configured channel with one Runtime until SIGINT/SIGTERM or `stop`. With a second core
    the conversation core runs in its own process (bot/run/process.py; KPIBOT_CONVERSATION=inline keeps it here).

    Reminders run on APScheduler on this same loop: python-telegram-bot's JobQueue when Telegram runs,
    else a plain AsyncIOScheduler; either way they go out through every running channel.
    """
    from bot.channels.line.channel import LineConfig, run_line
    from bot.channels.telegram.channel import run_telegram
    from bot.reminders.engine import install, start_scheduler
    from bot.run.watch import StorageWatch
    from bot.store.health import check_storage

    check_storage(conf.db, conf.evidence_dir)  # StorageProblem before any channel starts (the CLI says it)
    worker = WorkerSpec(str(conf.db), str(conf.evidence_dir)) if conf.conversation_process else None
    runtime = Runtime(lambda: SqliteStore(conf.db, conf.evidence_dir), load_all(), worker=worker)
    await runtime.start()  # the conversation process warms up before the first update is fetched
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    tasks = []
    scheduler = None
    if conf.telegram_token:
        def on_started(channel) -> None:
            install(channel.application.job_queue, runtime, interval=conf.reminder_tick)

        tasks.append(asyncio.create_task(run_telegram(runtime, conf, stop, on_started), name="telegram"))
    line_config = LineConfig.from_settings(conf)
    if line_config is not None:
        tasks.append(asyncio.create_task(run_line(runtime, config=line_config, stop=stop), name="line"))
    if not conf.telegram_token:
        scheduler, _engine = start_scheduler(runtime, interval=conf.reminder_tick)
    watch = StorageWatch(runtime, conf.db, conf.evidence_dir, interval=conf.storage_check)
    watching = asyncio.create_task(watch.run(stop), name="storage-watch")  # not a channel: ends with them
    log.info("kpibot running: %s", ", ".join(t.get_name() for t in tasks) or "no channel")
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                stop.set()
                raise task.exception()  # type: ignore[misc]
    finally:
        stop.set()
        await asyncio.gather(*tasks, watching, return_exceptions=True)
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        runtime.close()
