package lib.model;

/** How a deploy replaces the live colour. */
public enum Strategy {
    /** Start the new colour, gate it, switch, then retire the old one: no downtime. */
    BLUE_GREEN,
    /** Stop the old colour first (a short outage, as the plain shell script); start it again if the new one fails. */
    RECREATE
}
