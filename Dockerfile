# SCCTN node: a slim image that runs `scctn start` on a mounted home directory.
#   docker build -t scctn-node .
#   docker run -v $PWD/node-home:/home/scctn/node -p 26657:26657 -p 26656:26656 \
#       -e SCCTN_PASSPHRASE=... scctn-node
# Create the home first with `scctn init --home node-home` (or mount an existing one);
# set [api] host = "0.0.0.0" in its config.toml, or SCCTN_API_HOST=0.0.0.0 as below.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    SCCTN_HOME=/home/scctn/node SCCTN_API_HOST=0.0.0.0 SCCTN_P2P_HOST=0.0.0.0

RUN useradd --create-home --uid 10001 scctn
WORKDIR /opt/scctn
COPY pyproject.toml README.md ./
COPY primitives ./primitives
COPY scctn_node ./scctn_node
COPY consensus ./consensus
COPY vm ./vm
COPY p2p ./p2p
COPY genesis ./genesis
# The same install `make test` performs (pip install of this pyproject), without dev extras.
RUN pip install --no-cache-dir . && scctn --version

USER scctn
VOLUME ["/home/scctn/node"]
EXPOSE 26657 26656
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import json,urllib.request;urllib.request.urlopen('http://127.0.0.1:26657/health',timeout=4)" || exit 1
ENTRYPOINT ["scctn"]
CMD ["start", "--log-format", "json"]
