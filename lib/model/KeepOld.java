package lib.model;

/** What to do with the colour that served before, once the new one is live. */
public enum KeepOld {
    /** Keep running, unrouted, behind the managed front: rollback.java switches back in a second. */
    RUNNING,
    /** Stop it and keep it for a rollback that starts it again. */
    STOPPED,
    /** Remove it. */
    REMOVED
}
