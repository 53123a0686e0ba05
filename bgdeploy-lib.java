// lib/ built into one jar, for build.jsh: JShell cannot compile packaged sources, but takes a jar on its class path
// (build.jsh has //DEPS bgdeploy-lib.java). The .java scripts list lib themselves with the same glob.
//SOURCES lib/**.java
