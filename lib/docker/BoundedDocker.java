package lib.docker;

import lib.base.DeployError;
import lib.base.ExitCode;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.SyncDockerCmd;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * docker-java bounds no read on a unix socket or over ssh, and no TLS handshake: a frozen daemon would hang a deploy
 * forever. This wraps a client so that every synchronous command's {@code exec()} is bounded; the first call that
 * runs out marks the daemon frozen, and every later call fails at once instead of waiting again (an undo that cannot
 * reach the daemon says so in seconds, not minutes). Streaming commands (pull, logs, exec attach) poll their own
 * progress and are left as they are.
 */
public final class BoundedDocker {
    private BoundedDocker() {}

    public static DockerClient wrap(DockerClient client, Duration bound, String host) {
        AtomicBoolean frozen = new AtomicBoolean();
        return (DockerClient) Proxy.newProxyInstance(BoundedDocker.class.getClassLoader(), new Class<?>[]{DockerClient.class},
                (proxy, m, args) -> bounded(invoke(client, m, args), m.getReturnType(), bound, host, frozen));
    }

    private static Object bounded(Object cmd, Class<?> type, Duration bound, String host, AtomicBoolean frozen) {
        if (cmd == null || !type.isInterface() || !SyncDockerCmd.class.isAssignableFrom(type)) return cmd;
        String what = type.getSimpleName().replaceFirst("Cmd$", "");
        InvocationHandler h = new InvocationHandler() {
            @Override
            public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
                if (!m.getName().equals("exec") || m.getParameterCount() != 0) {
                    Object r = BoundedDocker.invoke(cmd, m, args);
                    return r == cmd ? proxy : r; // builder methods return the command itself
                }
                if (frozen.get()) {
                    throw new DeployError(ExitCode.DOCKER, "the Docker daemon at " + host + " stopped answering earlier in this run; not waiting again (" + what + ")");
                }
                try {
                    return Bounded.call(bound, "waiting for " + what + " on " + host, () -> BoundedDocker.invokeUnchecked(cmd, m, args));
                } catch (DeployError e) {
                    if (e.exitCode() == ExitCode.DOCKER) frozen.set(true);
                    throw e;
                }
            }
        };
        return Proxy.newProxyInstance(BoundedDocker.class.getClassLoader(), new Class<?>[]{type}, h);
    }

    private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static Object invokeUnchecked(Object target, Method m, Object[] args) {
        try {
            return invoke(target, m, args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
