# The bot machine's backend: `teafarm bot` (chat + monitoring server). The same steps as the README's
# install: a virtual environment with teafarm installed into it.
FROM python:3.11-slim
WORKDIR /opt/teafarm
COPY . .
RUN python -m venv /opt/teafarm/.venv \
 && /opt/teafarm/.venv/bin/pip install --no-cache-dir . \
 && mkdir -p /etc/teafarm /data \
 && printf 'data_dir: /data\nserver:\n  listen: 0.0.0.0:8443\n' > /etc/teafarm/config.yml
ENV PATH=/opt/teafarm/.venv/bin:$PATH \
    TEAFARM_CONFIG=/etc/teafarm/config.yml
VOLUME ["/data"]
EXPOSE 8443
STOPSIGNAL SIGTERM
CMD ["teafarm", "bot"]
