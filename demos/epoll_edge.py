"""What epoll in edge-triggered mode (the mode mio uses) reports, for the
book's corrections to the glossary and lesson 05. Linux only.
Usage: python3 demos/epoll_edge.py"""
import select
import socket

listener = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(listener.getsockname())
conn, _ = listener.accept()
conn.setblocking(False)

ep = select.epoll()
ep.register(conn.fileno(), select.EPOLLIN | select.EPOLLOUT | select.EPOLLET)


def wait(what):
    names = []
    for _, mask in ep.poll(0.2):
        names += [n for n, bit in (("IN", select.EPOLLIN), ("OUT", select.EPOLLOUT)) if mask & bit]
    print("%-44s -> %s" % (what, " | ".join(names) or "nothing"))


wait("registered (readable? writable?)")
wait("wait again, nothing happened")
client.sendall(b"a")
wait("the client sends 1 byte; not read")
wait("wait again, the byte still unread")
client.sendall(b"b")
wait("the client sends 1 more byte; none read")
print("bytes waiting:", conn.recv(10))
