"""``python -m examples.vie_scolaire [--cas URL] [--bind HOST:PORT]``."""

from __future__ import annotations

import argparse
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIServer, make_server

from examples.vie_scolaire.app import VieScolaire


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main() -> None:
    parser = argparse.ArgumentParser(description="Service « vie scolaire » de démonstration")
    parser.add_argument("--cas", default="http://127.0.0.1:8000/cas/", help="adresse CAS de Préau")
    parser.add_argument("--bind", default="127.0.0.1:8001", help="adresse:port d'écoute")
    options = parser.parse_args()
    host, _, port = options.bind.rpartition(":")
    base = f"http://{options.bind}/"
    app = VieScolaire(cas_url=options.cas, base_url=base)
    with make_server(host, int(port), app, server_class=_ThreadingServer) as server:
        print(f"Vie scolaire sur {base} (CAS : {options.cas})", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
