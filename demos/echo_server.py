"""A Python echo server as the Python tutorials write it, for the book's
chapter "Buffer sizes". Serves one client with recv(SIZE), then prints how
many recv calls it made. Usage: python3 demos/echo_server.py SIZE"""
import socket
import sys

size = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
with socket.create_server(("127.0.0.1", 0)) as server:
    print("listening on 127.0.0.1:%d" % server.getsockname()[1], flush=True)
    conn, _ = server.accept()
    with conn:
        calls = 0
        while True:
            calls += 1
            data = conn.recv(size)
            if not data:
                break
            conn.sendall(data)
print("recv(%d): %d calls" % (size, calls), flush=True)
