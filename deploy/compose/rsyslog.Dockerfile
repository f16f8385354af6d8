# rsyslog receiving Portcullis audit events (RFC 5424 over TCP, RFC 6587 octet counting).
FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends rsyslog \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /var/log/portcullis
COPY rsyslog.conf /etc/rsyslog.conf
EXPOSE 514/tcp
CMD ["rsyslogd", "-n", "-f", "/etc/rsyslog.conf"]
