import Telemetry
import Testing

/// The text exposition format as Prometheus reads it: escaping, cumulative histogram buckets, counters that only rise.
@Suite struct PrometheusTextTests {
    @Test func labelValuesEscapeBackslashQuoteAndNewline() {
        #expect(PrometheusText.escapeLabelValue(#"C:\feeds"#) == #"C:\\feeds"#)
        #expect(PrometheusText.escapeLabelValue(#"say "hi""#) == #"say \"hi\""#)
        #expect(PrometheusText.escapeLabelValue("two\nlines") == #"two\nlines"#)
        #expect(PrometheusText.escapeLabelValue("plain-ünïcode") == "plain-ünïcode")

        let family = GaugeFamily(name: "vigil_test", help: "A help\nwith a \\ backslash and \"quotes\".", labelNames: ["source"])
        family.set([#"a\b"c"# + "\nd"], 2)
        var text = ""
        family.render(into: &text)
        #expect(text == """
            # HELP vigil_test A help\\nwith a \\\\ backslash and "quotes".
            # TYPE vigil_test gauge
            vigil_test{source="a\\\\b\\"c\\nd"} 2

            """)
    }

    @Test func histogramBucketsAreCumulativeAndEndWithInf() {
        let histogram = HistogramFamily(name: "vigil_latency_seconds", help: "Latency.", labelNames: ["route"], buckets: [1, 0.5, 5])
        #expect(histogram.buckets == [0.5, 1, 5])
        for value in [0.2, 0.5, 0.7, 3, 100] { histogram.observe(["/x"], value) }
        var text = ""
        histogram.render(into: &text)
        #expect(text == """
            # HELP vigil_latency_seconds Latency.
            # TYPE vigil_latency_seconds histogram
            vigil_latency_seconds_bucket{route="/x",le="0.5"} 2
            vigil_latency_seconds_bucket{route="/x",le="1"} 3
            vigil_latency_seconds_bucket{route="/x",le="5"} 4
            vigil_latency_seconds_bucket{route="/x",le="+Inf"} 5
            vigil_latency_seconds_sum{route="/x"} 104.4
            vigil_latency_seconds_count{route="/x"} 5

            """)
    }

    @Test func anUnlabelledHistogramExistsBeforeItsFirstObservation() {
        let histogram = HistogramFamily(name: "vigil_h", help: "H.", buckets: [1])
        var text = ""
        histogram.render(into: &text)
        #expect(text.contains("vigil_h_bucket{le=\"1\"} 0\n"))
        #expect(text.contains("vigil_h_bucket{le=\"+Inf\"} 0\n"))
        #expect(text.contains("vigil_h_sum 0\nvigil_h_count 0\n"))
    }

    @Test func countersOnlyRiseAndDeclaredSeriesStartAtZero() {
        let counter = CounterFamily(name: "vigil_things_total", help: "Things.", labelNames: ["kind", "outcome"])
        counter.declare(["email", "sent"])
        counter.increment(["webhook", "failed"])
        counter.increment(["webhook", "failed"], by: 2)
        counter.increment(["webhook", "failed"], by: -5)
        #expect(counter.value(["webhook", "failed"]) == 3)
        var text = ""
        counter.render(into: &text)
        #expect(text == """
            # HELP vigil_things_total Things.
            # TYPE vigil_things_total counter
            vigil_things_total{kind="email",outcome="sent"} 0
            vigil_things_total{kind="webhook",outcome="failed"} 3

            """)
    }

    @Test func numbersAreWrittenAsPrometheusReadsThem() {
        #expect(PrometheusText.number(3) == "3")
        #expect(PrometheusText.number(0.25) == "0.25")
        #expect(PrometheusText.number(.infinity) == "+Inf")
        #expect(PrometheusText.number(-.infinity) == "-Inf")
        #expect(PrometheusText.number(.nan) == "NaN")
        #expect(PrometheusText.number(1.5e20) == "1.5e+20")
    }

    @Test func gaugesReplacedAllAtOnceDropSeriesLeftOut() {
        let gauge = GaugeFamily(name: "vigil_g", help: "G.", labelNames: ["source"])
        gauge.replaceAll([["a"]: 1, ["b"]: 2])
        gauge.replaceAll([["b"]: 3])
        #expect(gauge.value(["a"]) == nil)
        #expect(gauge.value(["b"]) == 3)
    }

    @Test func eachProcessHasItsOwnMetrics() {
        let first = VigilMetrics(), second = VigilMetrics()
        first.sourcePolled("cisa", failed: true)
        #expect(first.sourcePollFailures.value(["cisa"]) == 1)
        #expect(second.sourcePollFailures.value(["cisa"]) == 0)
        let text = second.render()
        // Series declared at 0 from the start, so rates and alert rules have something to read before the first event.
        #expect(text.contains(#"vigil_deliveries_total{channel_kind="teams",outcome="retried"} 0"#))
        #expect(text.contains(#"vigil_alerts_created_total{reason="new_advisory"} 0"#))
        #expect(!text.contains("cisa"))
    }
}
