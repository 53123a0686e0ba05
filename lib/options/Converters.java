package lib.options;

import lib.docker.DockerHost;
import lib.docker.ImagePuller;
import lib.base.Values;
import lib.model.FrontSettings;
import lib.release.RegistryClient;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.util.function.Function;

/** picocli's side of {@link Values}: each option's rule, a bad value reported by picocli as exit 2 naming the option. */
public final class Converters {
    private Converters() {}

    private static <T> T convert(Function<String, T> rule, String s) {
        try {
            return rule.apply(s);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    public static final class Timeout implements ITypeConverter<Duration> {
        public Duration convert(String s) {
            return Converters.convert(Values::timeout, s);
        }
    }

    public static final class PositiveTimeout implements ITypeConverter<Duration> {
        public Duration convert(String s) {
            return Converters.convert(Values::positiveTimeout, s);
        }
    }

    /** --watch: a duration, or off (0) to turn off a window deploy.yml asks for. */
    public static final class Watch implements ITypeConverter<Duration> {
        public Duration convert(String s) {
            return Converters.convert(v -> v.trim().equals("off") || v.trim().equals("0") ? Duration.ZERO : Values.positiveTimeout(v), s);
        }
    }

    public static final class Port implements ITypeConverter<Integer> {
        public Integer convert(String s) {
            return Converters.convert(Values::port, s);
        }
    }

    public static final class Size implements ITypeConverter<String> {
        public String convert(String s) {
            return Converters.convert(Values::size, s);
        }
    }

    public static final class Cidr implements ITypeConverter<String> {
        public String convert(String s) {
            return Converters.convert(Values::cidr, s);
        }
    }

    public static final class Count implements ITypeConverter<Integer> {
        public Integer convert(String s) {
            return Converters.convert(Values::count, s);
        }
    }

    public static final class App implements ITypeConverter<String> {
        public String convert(String s) {
            return Converters.convert(Values::app, s);
        }
    }

    public static final class Release implements ITypeConverter<String> {
        public String convert(String s) {
            return Converters.convert(Values::release, s);
        }
    }

    public static final class ProbePath implements ITypeConverter<String> {
        public String convert(String s) {
            return Converters.convert(Values::probePath, s);
        }
    }

    public static final class HostUrl implements ITypeConverter<String> {
        public String convert(String s) {
            return Converters.convert(v -> {
                DockerHost.parseUrl(v);
                return v;
            }, s);
        }
    }

    public static final class Image implements ITypeConverter<RegistryClient.ImageRef> {
        public RegistryClient.ImageRef convert(String s) {
            return Converters.convert(RegistryClient.ImageRef::check, s);
        }
    }

    public static final class Tag implements ITypeConverter<String> {
        public String convert(String s) {
            return Converters.convert(RegistryClient::checkTag, s);
        }
    }

    public static final class Pull implements ITypeConverter<ImagePuller.Policy> {
        public ImagePuller.Policy convert(String s) {
            return Converters.convert(v -> Values.choice(ImagePuller.Policy.class, v), s);
        }
    }

    public static final class Strategy implements ITypeConverter<lib.model.Strategy> {
        public lib.model.Strategy convert(String s) {
            return Converters.convert(v -> Values.choice(lib.model.Strategy.class, v), s);
        }
    }

    public static final class Front implements ITypeConverter<FrontSettings.Kind> {
        public FrontSettings.Kind convert(String s) {
            return Converters.convert(v -> Values.choice(FrontSettings.Kind.class, v), s);
        }
    }
}
