# The bot machine's backend: `teafarm bot` (chat + monitoring server), as a user without privileges.
# The same install as the README's "Installing without make": a virtual environment with teafarm
# installed into it (no test extras). deploy/docker-compose.yml runs it with its volume.
FROM python:3.11.17-slim-bookworm
WORKDIR /opt/teafarm
COPY . .
RUN python -m venv /opt/teafarm/.venv \
 && /opt/teafarm/.venv/bin/pip install --no-cache-dir . \
 && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin teafarm \
 && mkdir -p /etc/teafarm /data \
 && chown teafarm:teafarm /data \
 && printf 'data_dir: /data\nserver:\n  listen: 0.0.0.0:8443\n' > /etc/teafarm/config.yml
ENV PATH=/opt/teafarm/.venv/bin:$PATH \
    TEAFARM_CONFIG=/etc/teafarm/config.yml \
    PYTHONUNBUFFERED=1
USER teafarm
VOLUME ["/data"]
# 8443: the farm's clients (gRPC, mutual TLS); 8442: enrolment by token (server.enrol_listen)
EXPOSE 8443 8442
# /healthz (bot.health.listen) answers on 127.0.0.1 inside the container only; the slim image has no
# curl, so Python asks (urlopen raises on anything but 200: the check fails)
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9916/healthz', timeout=8)"]
STOPSIGNAL SIGTERM
CMD ["teafarm", "bot"]
