"""One background coroutine per BFM or monitor, started and stopped the same way everywhere.

cocotb cancels every task at the end of a test, so a subclass's ``_run`` must tolerate
``CancelledError`` at any ``await`` (it holds no state that outlives the test).
"""

import cocotb

__all__ = ["BackgroundTask"]


class BackgroundTask:
    """Mixin: :meth:`start` runs ``self._run()`` as a cocotb task (once), :meth:`stop` cancels it."""

    _task = None

    def start(self):
        if self._task is None:
            self._task = cocotb.start_soon(self._run())
        return self

    def stop(self):
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self):
        raise NotImplementedError
