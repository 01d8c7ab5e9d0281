# Copyright (c) nlcen-monai contributors
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#     http://www.apache.org/licenses/LICENSE-2.0
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""Attach handlers to an engine after it is built (for handlers that must refer to the engine itself)."""

from __future__ import annotations

from typing import Any

from ignite.engine import Engine

__all__ = ["attach_handlers"]


def attach_handlers(engine: Engine, *handlers: Any) -> Engine:
    """Call handler.attach(engine) for each handler that is not None, in order, and return the engine.

    A bundle config cannot list a handler whose arguments refer to the trainer among that trainer's own
    train_handlers (a circular reference): the trainer-state checkpoint saver and loader are built
    separately and attached with this function. Handlers disabled with _disabled_ resolve to None
    and are skipped.
    """
    for handler in handlers:
        if handler is not None:
            handler.attach(engine)
    return engine
