package lib.compose;

import lib.base.Labels;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A SHA-256 of a container as a spec describes it: equal when a file's definition of an accessory is unchanged, different
 * when anything that goes into the container changed (image, environment, command, mounts, ports, limits...). Only the
 * hash is stored on the container, never a value: environment values are often passwords.
 */
public final class SpecHash {
    private SpecHash() {}

    /** Sorted keys and no nulls: the same spec always gives the same text, and a setting the file does not use adds nothing. */
    static final ObjectMapper JSON = JsonMapper.builder().configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true).configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false)
            .serializationInclusion(JsonInclude.Include.NON_EMPTY).build();

    /** Labels that say where the file was read from, or carry the hash itself: a deploy from another directory changes nothing. */
    static final List<String> NOT_HASHED = List.of(Labels.COMPOSE_WORKING_DIR, Labels.COMPOSE_CONFIG_FILES, AccessorySplit.HASH_LABEL);

    public static String of(ContainerSpec spec) {
        Map<String, Object> c = new TreeMap<>();
        c.put("image", spec.image());
        Map<String, String> labels = new TreeMap<>(spec.labels());
        NOT_HASHED.forEach(labels::remove);
        c.put("labels", labels);
        c.put("env", spec.env().stream().sorted().toList());
        c.put("cmd", spec.cmd());
        c.put("entrypoint", spec.entrypoint());
        c.put("user", spec.user());
        c.put("workingDir", spec.workingDir());
        c.put("stopSignal", spec.stopSignal());
        c.put("stopTimeout", spec.stopTimeout());
        c.put("exposedPorts", spec.exposedPorts().stream().map(Object::toString).sorted().toList());
        c.put("anonymousVolumes", spec.anonymousVolumes().stream().map(v -> v.getPath()).sorted().toList());
        c.put("healthcheck", spec.healthcheck());
        c.put("hostConfig", spec.hostConfig());
        c.put("network", spec.network());
        c.put("extraNetworks", spec.extraNetworks());
        try {
            byte[] text = JSON.writeValueAsBytes(c);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text));
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash a container spec", e);
        }
    }

    /** The spec's host settings as the Engine names them (Memory, NanoCpus, CapAdd...), the ones it sets only. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> hostSettings(ContainerSpec spec) {
        return new TreeMap<>(JSON.convertValue(spec.hostConfig(), Map.class));
    }
}
