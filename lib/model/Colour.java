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

    @Override
    public String toString() {
        return id();
    }
}
