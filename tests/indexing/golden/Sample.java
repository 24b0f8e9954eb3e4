package com.acme.app;

import java.util.List;
import java.util.Map;
import static java.lang.Math.max;
import com.acme.util.*;

public class Sample extends Base implements Runnable {
    public static final int LIMIT = 10;
    private final List<String> names;

    public Sample(List<String> names) {
        this.names = names;
    }

    @Override
    public void run() {
        System.out.println(max(1, LIMIT));
    }

    public <T> Map<String, T> index(List<T> items) {
        return null;
    }

    interface Listener {
        void onEvent(String name);
    }

    enum Mode { FAST, SLOW }

    record Pair(String left, String right) {}
}
