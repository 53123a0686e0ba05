package lib.model;

import java.util.Locale;

/** The two slots an app alternates between. Compose projects are named {@code <app>-blue} / {@code <app>-green}. */
public enum Colour {
    BLUE, GREEN;

    public Colour other() {
        return this == BLUE ? GREEN : BLUE;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String project(String app) {
        return app + "-" + id();
    }

    /**
     * Whether a member's name is of this colour's project: a container's {@code <app>-blue-web-1}, a Swarm service's
     * {@code <app>-blue_web} (a stack's separator).
     */
    public boolean owns(String app, String name) {
        return name.startsWith(project(app) + "-") || name.startsWith(project(app) + "_");
    }

    @Override
    public String toString() {
        return id();
    }
}
