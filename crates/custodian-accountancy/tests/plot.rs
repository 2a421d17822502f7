//! The charts of `custodian_accountancy::plot` (issue 6, point 5): every chart
//! of every scenario year renders to a well-formed SVG with its title and to
//! a 900 × 500 RGB PNG with text in it; the abrupt diversion's alarm is on the
//! SITMUF/Page chart and the no-loss year's is not; a malformed evaluation is
//! an error naming its field; the same evaluation gives the same bytes.
//!
//! The files are also written under `target/tmp/plots/<variant>/`, the names
//! `custodian accountancy plot` uses, to be looked at.
#![cfg(feature = "plot")]

use std::path::PathBuf;

use custodian_accountancy::evaluate::Evaluation;
use custodian_accountancy::facility::{self, Diversion};
use custodian_accountancy::plot::{self, Chart, PlotError, HEIGHT_PX, WIDTH_PX};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

fn year(name: &str) -> Evaluation {
    let (_, diversion) = Diversion::variants()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no variant {name}"));
    facility::year(&diversion, 1).unwrap_or_else(|e| panic!("{name}, seed 1: {e}"))
}

/// Text as plotters' SVG backend escapes it.
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Checks that every element is closed in order: enough of XML to catch a
/// truncated or interleaved document.
fn assert_balanced(svg: &str, what: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..]
            .find('>')
            .unwrap_or_else(|| panic!("{what}: unterminated tag"))
            + start;
        let tag = &rest[start + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("{what}: </{name}> closes nothing"));
            assert_eq!(open, name.trim(), "{what}: <{open}> closed by </{name}>");
        } else if !tag.starts_with('?') && !tag.starts_with('!') && !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap_or("");
            stack.push(name);
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "{what}: unclosed {stack:?}");
}

/// The IHDR fields: width, height, bit depth, colour type.
fn ihdr(png: &[u8]) -> (u32, u32, u8, u8) {
    assert!(png.len() > 33, "PNG of {} bytes", png.len());
    assert_eq!(&png[..8], &PNG_SIGNATURE, "PNG signature");
    assert_eq!(&png[12..16], b"IHDR", "first chunk");
    let be = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    (be(16), be(20), png[24], png[25])
}

/// Decodes the PNG to RGB rows.
fn decode(png_bytes: &[u8]) -> Vec<u8> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("PNG header");
    let mut rgb = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut rgb).expect("PNG frame");
    rgb.truncate(info.buffer_size());
    rgb
}

/// Pixels darker than mid-grey in rows `rows` (text is black).
fn dark_pixels(rgb: &[u8], rows: std::ops::Range<u32>) -> usize {
    let row_bytes = WIDTH_PX as usize * 3;
    rows.flat_map(|y| rgb[y as usize * row_bytes..(y as usize + 1) * row_bytes].chunks(3))
        .filter(|p| u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2]) < 3 * 100)
        .count()
}

fn out_dir(variant: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("plots")
        .join(variant);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

#[test]
fn every_chart_of_every_scenario_renders_and_is_written() {
    for (variant, _) in Diversion::variants() {
        let e = year(variant);
        let dir = out_dir(variant);
        for chart in Chart::ALL {
            let what = format!("{variant}/{}", chart.file_stem());
            let svg = plot::svg(&e, chart).unwrap_or_else(|err| panic!("{what}.svg: {err}"));
            assert!(
                svg.starts_with(&format!("<svg width=\"{WIDTH_PX}\" height=\"{HEIGHT_PX}\"")),
                "{what}.svg starts {:?}",
                &svg[..svg.len().min(80)]
            );
            assert!(svg.trim_end().ends_with("</svg>"), "{what}.svg end");
            assert_balanced(&svg, &what);
            let title = xml_escape(&chart.title(&e));
            assert!(svg.contains(&title), "{what}.svg lacks its title {title:?}");
            assert!(svg.contains("Material balance period"), "{what}.svg x axis");
            assert!(
                svg.contains("kg U") || chart == Chart::SitmufPage,
                "{what}.svg unit"
            );

            let png = plot::png(&e, chart).unwrap_or_else(|err| panic!("{what}.png: {err}"));
            assert_eq!(ihdr(&png), (WIDTH_PX, HEIGHT_PX, 8, 2), "{what}.png IHDR");
            let rgb = decode(&png);
            assert_eq!(rgb.len(), (WIDTH_PX * HEIGHT_PX * 3) as usize);
            // The title band holds rasterized text, and the rest is not blank.
            assert!(dark_pixels(&rgb, 0..36) > 300, "{what}.png: no title text");
            assert!(
                dark_pixels(&rgb, 36..HEIGHT_PX) > 1000,
                "{what}.png: no axes or labels"
            );

            for (ext, bytes) in [("svg", svg.as_bytes()), ("png", png.as_slice())] {
                let path = dir.join(format!("{}.{ext}", chart.file_stem()));
                std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let written =
                    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(written, bytes, "{}", path.display());
            }
        }
    }
}

#[test]
fn the_abrupt_diversion_alarms_on_the_page_chart_and_no_loss_does_not() {
    let abrupt = year("abrupt");
    assert_eq!(
        abrupt.page_first_alarm_balance,
        Some(7),
        "seed 1 alarms in month 7"
    );
    let svg = plot::svg(&abrupt, Chart::SitmufPage).expect("abrupt sitmuf-page");
    assert!(svg.contains("ALARM at balance 7"), "title names the alarm");
    assert!(
        svg.contains("threshold h = 3.3745"),
        "threshold in the legend"
    );
    assert!(
        svg.contains(">\nh = 3.3745\n<"),
        "threshold labelled on its line"
    );
    assert!(
        svg.contains("Page &gt; h: alarm"),
        "alarm markers in the legend"
    );
    let muf = plot::svg(&abrupt, Chart::Muf).expect("abrupt muf");
    assert!(
        muf.contains("|MUF| &gt; 3σ MUF"),
        "the 1,875 kg balance is outside 3σ"
    );
    let cumuf = plot::svg(&abrupt, Chart::Cumuf).expect("abrupt cumuf");
    assert!(cumuf.contains("|CUMUF| &gt; 3σ CUMUF"));

    let none = year("none");
    assert!(
        !none.page_alarm,
        "seed 1 of the no-loss year raises no alarm"
    );
    let svg = plot::svg(&none, Chart::SitmufPage).expect("none sitmuf-page");
    assert!(svg.contains("no alarm"));
    assert!(
        svg.contains("threshold h = 3.3745"),
        "the threshold is drawn regardless"
    );
    assert!(!svg.contains("ALARM") && !svg.contains("Page &gt; h"));
}

#[test]
fn the_same_evaluation_gives_the_same_bytes() {
    let e = year("protracted");
    for chart in Chart::ALL {
        assert_eq!(plot::svg(&e, chart).ok(), plot::svg(&e, chart).ok());
        assert_eq!(plot::png(&e, chart).ok(), plot::png(&e, chart).ok());
    }
}

#[test]
fn one_balance_and_a_long_sequence_render() {
    let year = year("none");
    let mut one = year.clone();
    one.periods = 1;
    for v in [
        &mut one.muf,
        &mut one.sigma_muf,
        &mut one.cumuf,
        &mut one.cumuf_variance,
        &mut one.sitmuf,
        &mut one.page,
    ] {
        v.truncate(1);
    }
    // Ten years of months: ticks thin out to a round step.
    let mut long = year.clone();
    long.periods = 120;
    for v in [
        &mut long.muf,
        &mut long.sigma_muf,
        &mut long.cumuf,
        &mut long.cumuf_variance,
        &mut long.sitmuf,
        &mut long.page,
    ] {
        let first = v.clone();
        *v = first.iter().cycle().take(120).copied().collect();
    }
    for e in [&one, &long] {
        for chart in Chart::ALL {
            let png =
                plot::png(e, chart).unwrap_or_else(|err| panic!("{} balances: {err}", e.periods));
            assert_eq!(ihdr(&png).0, WIDTH_PX);
            let svg = plot::svg(e, chart).expect("svg");
            assert_balanced(&svg, chart.file_stem());
        }
    }
    for (name, e) in [("one", &one), ("long", &long)] {
        let dir = out_dir(name);
        for chart in Chart::ALL {
            let png = plot::png(e, chart).expect("png");
            let path = dir.join(format!("{}.png", chart.file_stem()));
            std::fs::write(&path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

/// A change that makes an evaluation malformed.
type Spoil = fn(&mut Evaluation);

#[test]
fn a_malformed_evaluation_is_an_error_naming_its_field() {
    let good = year("none");
    let cases: [(Spoil, &str); 6] = [
        (|e| e.periods = 0, "periods"),
        (|e| e.sigma_muf.truncate(3), "sigma_muf"),
        (|e| e.muf[4] = f64::NAN, "muf[4]"),
        (|e| e.cumuf_variance[2] = -1.0, "cumuf_variance[2]"),
        (|e| e.page.push(0.0), "page"),
        (|e| e.page_h = f64::INFINITY, "page_h"),
    ];
    for (spoil, field) in cases {
        let mut e = good.clone();
        spoil(&mut e);
        for chart in Chart::ALL {
            for result in [
                plot::svg(&e, chart).map(|_| ()),
                plot::png(&e, chart).map(|_| ()),
            ] {
                match result {
                    Err(PlotError::Evaluation { field: f, .. }) => assert_eq!(f, field),
                    other => panic!("{field}: expected an evaluation error, got {other:?}"),
                }
            }
        }
    }
}
