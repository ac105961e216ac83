"""Serving the practice page with uvicorn on a socket bound before the models loaded."""

from __future__ import annotations

import socket

import uvicorn
from rich.console import Console

from counselsim.practice.room import PracticeRoom
from counselsim.practice.service import LOOPBACK
from counselsim.web.app import create_app


def page_url(sock: socket.socket, token: str | None) -> str:
    """The address to open (with the token, which the page keeps and hides from the bar)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


async def serve(
    room: PracticeRoom, sock: socket.socket, token: str | None, console: Console
) -> None:
    """Serve until Ctrl-C; sessions stay in the practice directory and resume on restart."""
    host = sock.getsockname()[0]
    if host not in LOOPBACK:
        console.print(
            f"[bold yellow]warning:[/] serving on {host}: anyone who can reach it and has the "
            "token can practise and read the debriefs in this directory",
            highlight=False,
        )
    config = uvicorn.Config(create_app(room, token), log_level="warning", access_log=False)
    console.print(f"practice page: {page_url(sock, token)} (Ctrl-C stops; sessions are kept)")
    await uvicorn.Server(config).serve(sockets=[sock])
