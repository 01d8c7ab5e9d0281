"""Tests for attach_handlers: handlers attached in order after the engine is built, disabled ones (None) skipped."""

from __future__ import annotations

from ignite.engine import Engine, Events

from nlcen_monai.workflows import attach_handlers


def test_attach_handlers_skips_none():
    calls = []

    class Handler:
        def attach(self, engine):
            engine.add_event_handler(Events.STARTED, lambda _: calls.append("started"))

    engine = Engine(lambda e, b: None)
    assert attach_handlers(engine, None, Handler(), None) is engine
    engine.run([0], max_epochs=1)
    assert calls == ["started"]
