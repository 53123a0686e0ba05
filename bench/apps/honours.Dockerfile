# The same app, but PID 1 traps SIGTERM and exits at once (as an exec-form CMD or init: true would). Ready 2 s after start.
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY www /www
ARG VERSION=v1
RUN echo "$VERSION" > /www/version.txt
CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; sleep 2 & wait; httpd -f -p 80 -h /www & wait"]
