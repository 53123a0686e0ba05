# Shaped like the blog's app: a shell-form CMD (/bin/sh -c, which execs its last command), so PID 1 is busybox httpd,
# which as PID 1 ignores SIGTERM: `docker stop` waits out the whole grace period, then kills it. Ready 2 s after start.
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY www /www
ARG VERSION=v1
RUN echo "$VERSION" > /www/version.txt
CMD sleep 2; httpd -f -p 80 -h /www
