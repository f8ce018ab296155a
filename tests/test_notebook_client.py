"""Executing notebooks: a message the client sends while it waits for a reply must not hide the reply.

Issue 9, item 0: lesson 02 stalled for the whole per-cell timeout at the cell that built the sample-size
explorer. nbclient echoes an ``ipywidgets.Output``'s state to the kernel while the cell runs; sent through
``jupyter_client.Session.send`` (a synchronous shadow of the ``zmq.asyncio`` socket), the echo can consume
the socket's "readable" signal for a reply that has just arrived, and the client's pending poll never
wakes. ``cidlab.slides.notebook_client`` sends those echoes through the asyncio socket instead.
"""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

zmq = pytest.importorskip("zmq")
pytest.importorskip("nbclient")

import zmq.asyncio  # noqa: E402
from jupyter_client.session import Session  # noqa: E402

from cidlab.slides import _LoopSocket, notebook_client  # noqa: E402


async def _poll_while_sending(send_echo) -> float:
    """Seconds a pending poll on a DEALER takes to see a reply that lands just before an echo is sent.

    The race made deterministic: the reply is delivered while the event loop is blocked (so the
    socket's wake-up signal is pending), then the echo is sent from the same blocked stretch of code.
    """
    ctx = zmq.asyncio.Context()
    router, dealer = ctx.socket(zmq.ROUTER), ctx.socket(zmq.DEALER)
    try:
        port = router.bind_to_random_port("tcp://127.0.0.1")
        dealer.connect(f"tcp://127.0.0.1:{port}")
        session = Session(key=b"k")
        session.send(_LoopSocket(dealer), "kernel_info_request")          # so the router knows the dealer
        ident, *_ = await asyncio.wait_for(router.recv_multipart(), 5)
        start = time.perf_counter()
        poll = asyncio.ensure_future(dealer.poll(3000))                   # nbclient waiting for execute_reply
        await asyncio.sleep(0.05)                                         # the poll is registered
        await router.send_multipart([ident, b"reply"])                    # the reply is on its way ...
        time.sleep(0.2)                                                   # ... and arrives; loop still busy
        send_echo(session, dealer)                                        # the Output-widget echo
        ready = await poll
        elapsed = time.perf_counter() - start
        assert ready & zmq.POLLIN
        assert await dealer.recv_multipart() == [b"reply"]
        return elapsed
    finally:
        router.close(linger=0)
        dealer.close(linger=0)
        ctx.term()


def _run_in_own_loop(coro):
    # a thread of its own: an earlier test (Playwright's sync API in the browser tests) may have left an
    # event loop running in the main thread, where asyncio.run refuses to start
    result: list = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(coro)))
    thread.start()
    thread.join(60)
    assert result, "the poll did not finish within 60 s"
    return result[0]


def test_echo_through_the_asyncio_socket_does_not_hide_the_reply():
    def echo(session, dealer):
        session.send(_LoopSocket(dealer), "comm_msg", {"comm_id": "x", "data": {}})

    assert _run_in_own_loop(_poll_while_sending(echo)) < 1.5


def test_notebook_client_uses_the_safe_output_widget():
    import nbformat

    nb = nbformat.v4.new_notebook()
    client = notebook_client(nb, cwd=".", timeout=5)
    widget_class = client.widget_registry["@jupyter-widgets/output"]["OutputModel"]
    assert widget_class.__name__ == "LoopSafeOutputWidget"
    assert client.store_widget_state and client.timeout == 5


def test_notebook_client_checks_its_timeout():
    import nbformat

    with pytest.raises(ValueError, match="timeout"):
        notebook_client(nbformat.v4.new_notebook(), cwd=".", timeout=0)


@pytest.mark.slow
def test_output_widget_cells_run_without_stalls_and_keep_their_output(tmp_path):
    """Thirty cells that each capture a figure in an Output widget: none waits out its timeout, and the
    captured output reaches the stored widget state (the mimic still works)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    cell = ("out = w.Output()\nwith out:\n    out.clear_output(wait=True)\n    print('captured')\n"
            "    display(HTML('<b>x</b>'))\nout")
    nb = new_notebook(cells=[new_code_cell("import ipywidgets as w\nfrom IPython.display import HTML, display"),
                             *[new_code_cell(cell) for _ in range(30)]])
    client = notebook_client(nb, cwd=tmp_path, timeout=8)
    slowest = 0.0
    with client.setup_kernel():
        for i, c in enumerate(nb.cells):
            t0 = time.perf_counter()
            client.execute_cell(c, i)
            slowest = max(slowest, time.perf_counter() - t0)
    assert slowest < 7, f"a cell waited {slowest:.1f} s: the reply was missed until the timeout"
    state = client.widget_state
    captured = [m for m in state.values() if m.get("outputs")]
    assert len(captured) == 30
    assert any(o.get("text") == "captured\n" for m in captured for o in m["outputs"])
