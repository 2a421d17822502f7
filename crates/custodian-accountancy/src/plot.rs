//! Charts of an [`Evaluation`] as a safeguards analyst reads them
//! (issue 6, point 5):
//!
//! - [`Chart::Muf`]: MUF per balance with its ±2σMUF and ±3σMUF bars and
//!   the zero line; a balance whose |MUF| exceeds 3σMUF is drawn in red.
//! - [`Chart::Cumuf`]: CUMUF against the ±3·sqrt(var CUMUF) band about zero
//!   (the region where CUMUF is consistent with no loss); points outside it
//!   are drawn in red.
//! - [`Chart::SitmufPage`]: SITMUF as bars, Page's statistic on SITMUF as a
//!   line, the threshold h as a dashed line; balances where the statistic
//!   exceeds h are circled in red and the title names the first.
//!
//! Each chart renders to an SVG document ([`svg()`]) or a PNG image ([`png()`]),
//! [`WIDTH_PX`] × [`HEIGHT_PX`] pixels. Like the rest of the crate this module
//! does no I/O: it returns the bytes and the caller writes them.
//!
//! Text is measured (for layout, in both formats) and rasterized (in the PNG)
//! with DejaVu Sans, bundled in `assets/DejaVuSans.ttf` (license beside it),
//! through ab_glyph: rendering never depends on the fonts of the machine, and
//! no process-wide font table is touched. The SVG names the family
//! `sans-serif` and leaves the choice of face to the viewer; sizes follow
//! plotters' convention that a text size of s pixels is an em of s/1.24, so
//! the SVG and the PNG lay out alike.

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont as _};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendTextStyle, DrawingErrorKind};

use crate::evaluate::Evaluation;

/// Width of every chart in pixels.
pub const WIDTH_PX: u32 = 900;
/// Height of every chart in pixels.
pub const HEIGHT_PX: u32 = 500;

/// The bundled font (DejaVu Sans 2.37; `assets/DejaVuSans-LICENSE.txt`).
const FONT_TTF: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// The family every text style names (the SVG's `font-family`).
const FONT_FAMILY: &str = "sans-serif";

// Text sizes in plotters' units (an em is size / 1.24 pixels).
const TITLE_PX: f64 = 23.0;
const AXIS_DESC_PX: f64 = 18.0;
const LABEL_PX: f64 = 16.0;
const LEGEND_PX: f64 = 16.0;

// Colours from the "tab10" palette. No reading rests on colour alone: a MUF
// outside 3σ is also a bar that misses zero, CUMUF outside 3σ leaves the grey
// band, and a Page alarm is a ring above the dashed threshold.
const BLUE: RGBColor = RGBColor(31, 119, 180);
const LIGHT_BLUE: RGBColor = RGBColor(158, 202, 225);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const ALARM_RED: RGBColor = RGBColor(214, 39, 40);
const DARK_GREY: RGBColor = RGBColor(64, 64, 64);
const BAND_GREY: RGBColor = RGBColor(120, 120, 120);
const GRID_GREY: RGBColor = RGBColor(225, 225, 225);

/// One of the charts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chart {
    /// MUF per balance with ±2σ and ±3σ bars.
    Muf,
    /// CUMUF with its ±3σ band about zero.
    Cumuf,
    /// SITMUF, Page's statistic and its threshold h.
    SitmufPage,
}

impl Chart {
    /// Every chart, in the order `custodian accountancy plot` writes them.
    pub const ALL: [Chart; 3] = [Chart::Muf, Chart::Cumuf, Chart::SitmufPage];

    /// The file name without extension: `muf`, `cumuf`, `sitmuf-page`.
    pub fn file_stem(self) -> &'static str {
        match self {
            Chart::Muf => "muf",
            Chart::Cumuf => "cumuf",
            Chart::SitmufPage => "sitmuf-page",
        }
    }

    /// The title drawn at the top of the chart.
    pub fn title(self, e: &Evaluation) -> String {
        match self {
            Chart::Muf => format!("MUF per balance with ±2σ and ±3σ MUF ({})", e.unit),
            Chart::Cumuf => format!("Cumulative MUF (CUMUF) and its ±3σ band ({})", e.unit),
            Chart::SitmufPage => {
                let status = match e.page_first_alarm_balance {
                    Some(b) => format!("ALARM at balance {b}"),
                    None => "no alarm".to_owned(),
                };
                format!(
                    "SITMUF and Page's test (k = {}, h = {}): {status}",
                    number(e.page_k),
                    number(e.page_h)
                )
            }
        }
    }
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The evaluation is not one [`crate::evaluate::evaluate`] could have
    /// produced: no balance, arrays of the wrong length, or a value that is
    /// not finite.
    #[error("evaluation field {field}: expected {expected}")]
    Evaluation {
        /// The field, with the index where one applies, e.g. `sigma_muf[3]`.
        field: String,
        /// What was expected there.
        expected: String,
    },
    /// The bundled font could not be parsed (a bug: it is a constant).
    #[error("the bundled font assets/DejaVuSans.ttf could not be parsed")]
    Font,
    /// plotters failed to draw.
    #[error("chart {chart}: drawing failed: {message}")]
    Draw {
        /// The chart's file stem.
        chart: &'static str,
        /// plotters' message.
        message: String,
    },
    /// The PNG encoder failed.
    #[error("chart {chart}: PNG encoding failed: {message}")]
    Png {
        /// The chart's file stem.
        chart: &'static str,
        /// The encoder's message.
        message: String,
    },
}

/// Renders `chart` as an SVG document of [`WIDTH_PX`] × [`HEIGHT_PX`].
pub fn svg(e: &Evaluation, chart: Chart) -> Result<String, PlotError> {
    check(e)?;
    let font = font()?;
    let mut text = String::new();
    {
        let backend = Glyphs {
            inner: SVGBackend::with_string(&mut text, (WIDTH_PX, HEIGHT_PX)),
            font,
            rasterize: false,
        };
        let root = backend.into_drawing_area();
        draw(&root, e, chart)?;
        root.present().map_err(draw_error(chart))?;
    }
    Ok(text)
}

/// Renders `chart` as a PNG image (8-bit RGB) of [`WIDTH_PX`] × [`HEIGHT_PX`].
pub fn png(e: &Evaluation, chart: Chart) -> Result<Vec<u8>, PlotError> {
    check(e)?;
    let font = font()?;
    let mut rgb = vec![0u8; WIDTH_PX as usize * HEIGHT_PX as usize * 3];
    {
        let backend = Glyphs {
            inner: BitMapBackend::with_buffer(&mut rgb, (WIDTH_PX, HEIGHT_PX)),
            font,
            rasterize: true,
        };
        let root = backend.into_drawing_area();
        draw(&root, e, chart)?;
        root.present().map_err(draw_error(chart))?;
    }
    let png_error = |error: png::EncodingError| PlotError::Png {
        chart: chart.file_stem(),
        message: error.to_string(),
    };
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, WIDTH_PX, HEIGHT_PX);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&rgb).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(bytes)
}

fn font() -> Result<FontRef<'static>, PlotError> {
    FontRef::try_from_slice(FONT_TTF).map_err(|_| PlotError::Font)
}

/// A drawing backend that measures text with the bundled font and, when
/// `rasterize`, draws it too; everything else goes to `inner` unchanged.
///
/// plotters' own ab_glyph text path (0.3.7) drops each glyph's left side
/// bearing, so narrow glyphs drift ("bal ance"), and without it plotters
/// guesses widths from the byte count. Here each glyph is placed at its pen
/// position with its outline's own bounds, kerned, at sub-pixel precision.
struct Glyphs<B> {
    inner: B,
    font: FontRef<'static>,
    rasterize: bool,
}

impl<B> Glyphs<B> {
    /// The font scaled so that an em is `size / 1.24` pixels (the SVG
    /// backend writes `font-size` as size / 1.24).
    fn scaled(&self, size: f64) -> ab_glyph::PxScaleFont<&FontRef<'static>> {
        let em_px = (size / 1.24) as f32;
        let units_per_em = self.font.units_per_em().unwrap_or(2048.0);
        let height = self.font.height_unscaled();
        self.font
            .as_scaled(PxScale::from(em_px * height / units_per_em))
    }

    /// The advance width of `text` in pixels, with kerning.
    fn advance_px(&self, size: f64, text: &str) -> f32 {
        let font = self.scaled(size);
        let mut width = 0.0;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = previous {
                width += font.kern(p, id);
            }
            width += font.h_advance(id);
            previous = Some(id);
        }
        width
    }
}

impl<B: DrawingBackend> DrawingBackend for Glyphs<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.present()
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: plotters_backend::BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: plotters_backend::BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: plotters_backend::BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<B::ErrorType>> {
        let width = self.advance_px(style.size(), text).ceil() as u32;
        Ok((width, (style.size() / 1.24).round() as u32))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        if !self.rasterize {
            return self.inner.draw_text(text, style, pos);
        }
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let size = style.size();
        let em_px = (size / 1.24) as f32;
        let width = self.advance_px(size, text);
        // The anchor as the SVG backend places it: text-anchor start, middle
        // or end; the baseline 0.76 em below a top anchor, half an ex (DejaVu
        // Sans: x-height 0.547 em) below a centre anchor, half an ex above a
        // bottom one.
        let pen_x = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        let half_ex = 0.5 * 0.547 * em_px;
        let baseline = match style.anchor().v_pos {
            VPos::Top => 0.76 * em_px,
            VPos::Center => half_ex,
            VPos::Bottom => -half_ex,
        };
        let font = self.scaled(size);
        let transform = style.transform();
        let mut pixels: Vec<(i32, i32, f32)> = Vec::new();
        let mut caret = pen_x;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = previous {
                caret += font.kern(p, id);
            }
            let glyph = id.with_scale_and_position(font.scale(), ab_glyph::point(caret, baseline));
            if let Some(outline) = font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                let (x0, y0) = (bounds.min.x as i32, bounds.min.y as i32);
                outline.draw(|x, y, coverage| {
                    if coverage > 0.0 {
                        pixels.push((x0 + x as i32, y0 + y as i32, coverage.min(1.0)));
                    }
                });
            }
            caret += font.h_advance(id);
            previous = Some(id);
        }
        let (w, h) = self.inner.get_size();
        for (x, y, coverage) in pixels {
            let (dx, dy) = transform.transform(x, y);
            let (x, y) = (pos.0 + dx, pos.1 + dy);
            if x >= 0 && y >= 0 && x < w as i32 && y < h as i32 {
                self.inner.draw_pixel(
                    (x, y),
                    BackendColor {
                        alpha: color.alpha * f64::from(coverage),
                        rgb: color.rgb,
                    },
                )?;
            }
        }
        Ok(())
    }
}

fn draw_error<E: std::fmt::Display>(chart: Chart) -> impl Fn(E) -> PlotError {
    move |error| PlotError::Draw {
        chart: chart.file_stem(),
        message: error.to_string(),
    }
}

/// Checks what the charts rely on, so that drawing never meets a NaN or an
/// index out of range.
fn check(e: &Evaluation) -> Result<(), PlotError> {
    let n = e.periods;
    if n == 0 {
        return Err(PlotError::Evaluation {
            field: "periods".to_owned(),
            expected: "at least one balance".to_owned(),
        });
    }
    let arrays: [(&str, &[f64], bool); 6] = [
        ("muf", &e.muf, false),
        ("sigma_muf", &e.sigma_muf, true),
        ("cumuf", &e.cumuf, false),
        ("cumuf_variance", &e.cumuf_variance, true),
        ("sitmuf", &e.sitmuf, false),
        ("page", &e.page, false),
    ];
    for (name, values, non_negative) in arrays {
        if values.len() != n {
            return Err(PlotError::Evaluation {
                field: name.to_owned(),
                expected: format!("{n} values (one per balance), found {}", values.len()),
            });
        }
        for (i, v) in values.iter().enumerate() {
            if !v.is_finite() || (non_negative && *v < 0.0) {
                return Err(PlotError::Evaluation {
                    field: format!("{name}[{i}]"),
                    expected: format!(
                        "a finite{} number, found {v}",
                        if non_negative { ", non-negative" } else { "" }
                    ),
                });
            }
        }
    }
    for (name, v) in [("page_k", e.page_k), ("page_h", e.page_h)] {
        if !v.is_finite() {
            return Err(PlotError::Evaluation {
                field: name.to_owned(),
                expected: format!("a finite number, found {v}"),
            });
        }
    }
    Ok(())
}

/// A sample drawn before a legend entry's text.
#[derive(Clone, Copy)]
enum Swatch {
    /// A filled dot.
    Dot(RGBColor),
    /// A filled dot with a ring around it.
    Ring(RGBColor),
    /// A vertical bar of the given stroke width, with caps when `capped`.
    Bar {
        color: RGBColor,
        width: u32,
        capped: bool,
    },
    /// A horizontal line, dashed or solid.
    Line {
        color: RGBColor,
        width: u32,
        dashed: bool,
    },
    /// A filled box.
    Fill(RGBAColor),
}

/// The common frame: white background, the title, the legend rows at the
/// bottom; returns the area left for the plot.
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: Chart,
    title: &str,
    legend: &[(Swatch, String)],
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    let err = draw_error(chart);
    root.fill(&WHITE).map_err(&err)?;
    let (width, _) = root.dim_in_pixel();
    let (title_area, rest) = root.split_vertically(36);
    let title_style = (FONT_FAMILY, TITLE_PX)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Center));
    title_area
        .draw(&Text::new(
            title.to_owned(),
            (width as i32 / 2, 20),
            title_style,
        ))
        .map_err(&err)?;

    // Lay the legend entries out left to right, wrapping, each row centred.
    let text_style = (FONT_FAMILY, LEGEND_PX).into_font().color(&BLACK);
    let swatch_px = 30;
    let gap_px = 8;
    let entry_gap_px = 26;
    let row_width_max = width as i32 - 40;
    let mut rows: Vec<Vec<(Swatch, &str, i32)>> = vec![Vec::new()];
    let mut row_width = 0;
    for (swatch, text) in legend {
        let (text_px, _) = root.estimate_text_size(text, &text_style).map_err(&err)?;
        let entry = swatch_px + gap_px + text_px as i32;
        let needed = if row_width == 0 {
            entry
        } else {
            row_width + entry_gap_px + entry
        };
        if needed > row_width_max && row_width > 0 {
            rows.push(Vec::new());
            row_width = entry;
        } else {
            row_width = needed;
        }
        if let Some(row) = rows.last_mut() {
            row.push((*swatch, text.as_str(), entry));
        }
    }
    let row_px = 24;
    let legend_px = rows.len() as i32 * row_px + 10;
    let (plot_area, legend_area) = rest.split_vertically(rest.dim_in_pixel().1 as i32 - legend_px);
    for (r, row) in rows.iter().enumerate() {
        let total: i32 = row.iter().map(|(_, _, w)| w).sum::<i32>()
            + entry_gap_px * (row.len() as i32 - 1).max(0);
        let mut x = (width as i32 - total) / 2;
        let y = r as i32 * row_px + row_px / 2 + 2;
        for (swatch, text, entry) in row {
            draw_swatch(&legend_area, *swatch, x, y, swatch_px).map_err(&err)?;
            legend_area
                .draw(&Text::new(
                    (*text).to_owned(),
                    (x + swatch_px + gap_px, y),
                    text_style.pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(&err)?;
            x += entry + entry_gap_px;
        }
    }
    Ok(plot_area)
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    x: i32,
    y: i32,
    size: i32,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let cx = x + size / 2;
    match swatch {
        Swatch::Dot(color) => area.draw(&Circle::new((cx, y), 5, color.filled())),
        Swatch::Ring(color) => {
            area.draw(&Circle::new((cx, y), 4, color.filled()))?;
            area.draw(&Circle::new((cx, y), 8, color.stroke_width(2)))
        }
        Swatch::Bar {
            color,
            width,
            capped,
        } => {
            area.draw(&PathElement::new(
                vec![(cx, y - 9), (cx, y + 9)],
                color.stroke_width(width),
            ))?;
            if capped {
                for cap_y in [y - 9, y + 9] {
                    area.draw(&PathElement::new(
                        vec![(cx - 5, cap_y), (cx + 5, cap_y)],
                        color.stroke_width(width),
                    ))?;
                }
            }
            Ok(())
        }
        Swatch::Line {
            color,
            width,
            dashed,
        } => {
            if dashed {
                for s in [x, x + 12, x + 24] {
                    area.draw(&PathElement::new(
                        vec![(s, y), ((s + 7).min(x + size), y)],
                        color.stroke_width(width),
                    ))?;
                }
                Ok(())
            } else {
                area.draw(&PathElement::new(
                    vec![(x, y), (x + size, y)],
                    color.stroke_width(width),
                ))
            }
        }
        Swatch::Fill(color) => area.draw(&Rectangle::new(
            [(x, y - 8), (x + size, y + 8)],
            color.filled(),
        )),
    }
}

/// Renders one chart onto `root`.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    e: &Evaluation,
    chart: Chart,
) -> Result<(), PlotError> {
    match chart {
        Chart::Muf => draw_muf(root, e),
        Chart::Cumuf => draw_cumuf(root, e),
        Chart::SitmufPage => draw_sitmuf_page(root, e),
    }
}

/// The x axis: balances 1..=n with half a balance of room either side.
fn balance_axis(n: usize) -> std::ops::Range<f64> {
    0.5..n as f64 + 0.5
}

/// At most this many balances are labelled; plotters picks a round step
/// (1, 2, 5, 10, ...) that keeps within it.
fn balance_labels(n: usize) -> usize {
    (n + 1).min(21)
}

/// A balance tick: integers only (a round step of 1 or more never lands
/// elsewhere, but the formatter must not print "2.5" if it does).
fn balance_label(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-6 {
        format!("{x:.0}")
    } else {
        String::new()
    }
}

/// A value range covering `lo..hi` with 6 % room at each end (and a unit of
/// room when the values are all equal).
fn padded(lo: f64, hi: f64, top_room: f64) -> std::ops::Range<f64> {
    let span = hi - lo;
    let span = if span > 0.0 { span } else { lo.abs().max(1.0) };
    (lo - 0.06 * span)..(hi + (0.06 + top_room) * span)
}

/// The number of value labels on the y axis (at most; plotters picks a round
/// step of 1, 2 or 5 times a power of ten that keeps within it).
const Y_LABELS: usize = 9;

/// Tick labels with as many decimals as plotters' tick step needs (the same
/// key points the mesh will draw), so that 1, 2, 3 are not "1.0, 2.0, 3.0".
fn tick_formatter(range: &std::ops::Range<f64>) -> impl Fn(&f64) -> String {
    let ticks = RangedCoordf64::from(range.clone()).key_points(Y_LABELS);
    let step = match ticks.as_slice() {
        [a, b, ..] => (b - a).abs(),
        _ => (range.end - range.start).abs(),
    };
    let decimals = if step > 0.0 && step < 1.0 {
        ((-step.log10() - 1e-9).ceil() as usize).min(9)
    } else {
        0
    };
    move |v: &f64| {
        let s = format!("{v:.decimals$}");
        // No "-0" for a zero that arrives as -1e-17.
        if s.trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            s.trim_start_matches('-').to_owned()
        } else {
            s
        }
    }
}

/// A number as written in a title: up to 4 decimals, trailing zeros dropped.
fn number(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_owned()
}

/// Marker radius for n balances.
fn marker_px(n: usize) -> u32 {
    match n {
        0..=40 => 5,
        41..=120 => 3,
        _ => 2,
    }
}

/// Half the width of an error bar's cap, in balances: at most 8 pixels and
/// at most 0.3 of the spacing between balances.
fn cap_half_width(n: usize, plot_width_px: i32) -> f64 {
    let px_per_balance = f64::from(plot_width_px.max(1)) / n as f64;
    (8.0 / px_per_balance).min(0.3)
}

type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn build_plot<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    chart: Chart,
    n: usize,
    y_range: std::ops::Range<f64>,
    y_desc: &str,
) -> Result<Plot<'a, DB>, PlotError> {
    let err = draw_error(chart);
    let mut plot = ChartBuilder::on(area)
        .margin_left(12)
        .margin_right(28)
        .margin_top(6)
        .margin_bottom(4)
        .x_label_area_size(46)
        .y_label_area_size(84)
        .build_cartesian_2d(balance_axis(n), y_range.clone())
        .map_err(&err)?;
    let y_format = tick_formatter(&y_range);
    plot.configure_mesh()
        .x_desc("Material balance period")
        .y_desc(y_desc)
        .axis_desc_style((FONT_FAMILY, AXIS_DESC_PX))
        .label_style((FONT_FAMILY, LABEL_PX))
        .x_label_formatter(&balance_label)
        .x_labels(balance_labels(n))
        .y_label_formatter(&y_format)
        .y_labels(Y_LABELS)
        .bold_line_style(GRID_GREY.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(DARK_GREY.stroke_width(1))
        .draw()
        .map_err(&err)?;
    Ok(plot)
}

fn zero_line<DB: DrawingBackend>(
    plot: &mut Plot<'_, DB>,
    chart: Chart,
    n: usize,
) -> Result<(), PlotError> {
    plot.draw_series(std::iter::once(PathElement::new(
        vec![(0.5, 0.0), (n as f64 + 0.5, 0.0)],
        BLACK.stroke_width(1),
    )))
    .map_err(draw_error(chart))?;
    Ok(())
}

fn draw_muf<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    e: &Evaluation,
) -> Result<(), PlotError> {
    let chart = Chart::Muf;
    let err = draw_error(chart);
    let n = e.periods;
    let outside: Vec<bool> = (0..n)
        .map(|i| e.muf[i].abs() > 3.0 * e.sigma_muf[i])
        .collect();
    let mut legend = vec![
        (Swatch::Dot(BLUE), "MUF".to_owned()),
        (
            Swatch::Bar {
                color: LIGHT_BLUE,
                width: 6,
                capped: false,
            },
            "±2σ MUF".to_owned(),
        ),
        (
            Swatch::Bar {
                color: DARK_GREY,
                width: 1,
                capped: true,
            },
            "±3σ MUF".to_owned(),
        ),
    ];
    if outside.iter().any(|o| *o) {
        legend.push((Swatch::Dot(ALARM_RED), "|MUF| > 3σ MUF".to_owned()));
    }
    let area = frame(root, chart, &chart.title(e), &legend)?;
    let lo = (0..n)
        .map(|i| e.muf[i] - 3.0 * e.sigma_muf[i])
        .fold(0.0, f64::min);
    let hi = (0..n)
        .map(|i| e.muf[i] + 3.0 * e.sigma_muf[i])
        .fold(0.0, f64::max);
    let mut plot = build_plot(
        &area,
        chart,
        n,
        padded(lo, hi, 0.0),
        &format!("MUF ({})", e.unit),
    )?;
    zero_line(&mut plot, chart, n)?;
    let x_px = plot.plotting_area().get_pixel_range().0;
    let cap = cap_half_width(n, x_px.end - x_px.start);
    for i in 0..n {
        let x = (i + 1) as f64;
        let (m, s) = (e.muf[i], e.sigma_muf[i]);
        let three = DARK_GREY.stroke_width(1);
        plot.draw_series([
            PathElement::new(vec![(x, m - 3.0 * s), (x, m + 3.0 * s)], three),
            PathElement::new(vec![(x - cap, m - 3.0 * s), (x + cap, m - 3.0 * s)], three),
            PathElement::new(vec![(x - cap, m + 3.0 * s), (x + cap, m + 3.0 * s)], three),
        ])
        .map_err(&err)?;
        plot.draw_series(std::iter::once(PathElement::new(
            vec![(x, m - 2.0 * s), (x, m + 2.0 * s)],
            LIGHT_BLUE.stroke_width(if n <= 40 { 6 } else { 3 }),
        )))
        .map_err(&err)?;
    }
    plot.draw_series((0..n).map(|i| {
        let color = if outside[i] { ALARM_RED } else { BLUE };
        Circle::new(((i + 1) as f64, e.muf[i]), marker_px(n), color.filled())
    }))
    .map_err(&err)?;
    Ok(())
}

fn draw_cumuf<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    e: &Evaluation,
) -> Result<(), PlotError> {
    let chart = Chart::Cumuf;
    let err = draw_error(chart);
    let n = e.periods;
    let band: Vec<f64> = e.cumuf_variance.iter().map(|v| 3.0 * v.sqrt()).collect();
    let outside: Vec<bool> = (0..n).map(|i| e.cumuf[i].abs() > band[i]).collect();
    let band_fill = BAND_GREY.mix(0.22);
    let mut legend = vec![
        (
            Swatch::Fill(band_fill),
            "±3σ CUMUF about zero (no loss)".to_owned(),
        ),
        (
            Swatch::Line {
                color: BLUE,
                width: 2,
                dashed: false,
            },
            "CUMUF".to_owned(),
        ),
    ];
    if outside.iter().any(|o| *o) {
        legend.push((Swatch::Dot(ALARM_RED), "|CUMUF| > 3σ CUMUF".to_owned()));
    }
    let area = frame(root, chart, &chart.title(e), &legend)?;
    let lo = (0..n).map(|i| e.cumuf[i].min(-band[i])).fold(0.0, f64::min);
    let hi = (0..n).map(|i| e.cumuf[i].max(band[i])).fold(0.0, f64::max);
    let mut plot = build_plot(
        &area,
        chart,
        n,
        padded(lo, hi, 0.0),
        &format!("CUMUF ({})", e.unit),
    )?;
    // The band as one polygon (no seams between balances); a single balance
    // gets a box.
    let polygon: Vec<(f64, f64)> = if n == 1 {
        vec![
            (0.7, band[0]),
            (1.3, band[0]),
            (1.3, -band[0]),
            (0.7, -band[0]),
        ]
    } else {
        (0..n)
            .map(|i| ((i + 1) as f64, band[i]))
            .chain((0..n).rev().map(|i| ((i + 1) as f64, -band[i])))
            .collect()
    };
    plot.draw_series(std::iter::once(Polygon::new(polygon, band_fill.filled())))
        .map_err(&err)?;
    for sign in [1.0, -1.0] {
        plot.draw_series(std::iter::once(PathElement::new(
            (0..n)
                .map(|i| ((i + 1) as f64, sign * band[i]))
                .collect::<Vec<_>>(),
            BAND_GREY.stroke_width(1),
        )))
        .map_err(&err)?;
    }
    zero_line(&mut plot, chart, n)?;
    plot.draw_series(LineSeries::new(
        (0..n).map(|i| ((i + 1) as f64, e.cumuf[i])),
        BLUE.stroke_width(2),
    ))
    .map_err(&err)?;
    plot.draw_series((0..n).map(|i| {
        let color = if outside[i] { ALARM_RED } else { BLUE };
        Circle::new(((i + 1) as f64, e.cumuf[i]), marker_px(n), color.filled())
    }))
    .map_err(&err)?;
    Ok(())
}

fn draw_sitmuf_page<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    e: &Evaluation,
) -> Result<(), PlotError> {
    let chart = Chart::SitmufPage;
    let err = draw_error(chart);
    let n = e.periods;
    let alarms: Vec<bool> = e.page.iter().map(|p| *p > e.page_h).collect();
    let mut legend = vec![
        (Swatch::Fill(LIGHT_BLUE.to_rgba()), "SITMUF".to_owned()),
        (
            Swatch::Line {
                color: ORANGE,
                width: 2,
                dashed: false,
            },
            format!("Page statistic (k = {})", number(e.page_k)),
        ),
        (
            Swatch::Line {
                color: ALARM_RED,
                width: 2,
                dashed: true,
            },
            format!("threshold h = {}", number(e.page_h)),
        ),
    ];
    if alarms.iter().any(|a| *a) {
        legend.push((Swatch::Ring(ALARM_RED), "Page > h: alarm".to_owned()));
    }
    let area = frame(root, chart, &chart.title(e), &legend)?;
    let lo = e.sitmuf.iter().chain(&e.page).copied().fold(0.0, f64::min);
    let hi = e
        .sitmuf
        .iter()
        .chain(&e.page)
        .copied()
        .fold(e.page_h, f64::max);
    let mut plot = build_plot(
        &area,
        chart,
        n,
        padded(lo, hi, 0.04),
        "SITMUF and Page statistic (σ units)",
    )?;
    let half = if n <= 40 { 0.3 } else { 0.4 };
    plot.draw_series((0..n).map(|i| {
        let x = (i + 1) as f64;
        Rectangle::new(
            [(x - half, 0.0), (x + half, e.sitmuf[i])],
            LIGHT_BLUE.filled(),
        )
    }))
    .map_err(&err)?;
    zero_line(&mut plot, chart, n)?;
    plot.draw_series(DashedLineSeries::new(
        vec![(0.5, e.page_h), (n as f64 + 0.5, e.page_h)],
        10,
        6,
        ALARM_RED.stroke_width(2),
    ))
    .map_err(&err)?;
    plot.draw_series(LineSeries::new(
        (0..n).map(|i| ((i + 1) as f64, e.page[i])),
        ORANGE.stroke_width(2),
    ))
    .map_err(&err)?;
    plot.draw_series((0..n).map(|i| {
        Circle::new(
            ((i + 1) as f64, e.page[i]),
            marker_px(n).saturating_sub(1).max(2),
            ORANGE.filled(),
        )
    }))
    .map_err(&err)?;
    let ring = marker_px(n) + 4;
    plot.draw_series(
        (0..n)
            .filter(|i| alarms[*i])
            .map(|i| Circle::new(((i + 1) as f64, e.page[i]), ring, ALARM_RED.stroke_width(2))),
    )
    .map_err(&err)?;
    // Name the threshold on the line itself, at the right end.
    let label_style = (FONT_FAMILY, LABEL_PX)
        .into_font()
        .color(&ALARM_RED)
        .pos(Pos::new(HPos::Right, VPos::Bottom));
    plot.draw_series(std::iter::once(
        EmptyElement::at((n as f64 + 0.5, e.page_h))
            + Text::new(format!("h = {}", number(e.page_h)), (-6, -4), label_style),
    ))
    .map_err(&err)?;
    Ok(())
}
