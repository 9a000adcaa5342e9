/* Figure files: PNG (Cairo's raster with iTXt metadata chunks), PDF
 * (document metadata) and SVG (<title>, <desc>, <metadata>, crisp heat
 * map images), all drawn by sp_plot_draw.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "plot_private.h"
#include "sigprop/utf8.h"
#include "sigprop/status.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct {
  unsigned char *data;
  size_t n, cap;
} buffer;

static cairo_status_t buffer_write(void *closure, const unsigned char *data, unsigned int len)
{
  buffer *b = closure;
  if (b->n + len > b->cap) {
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->n + len)
      cap *= 2;
    unsigned char *d = realloc(b->data, cap);
    if (!d)
      return CAIRO_STATUS_WRITE_ERROR;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->n, data, len);
  b->n += len;
  return CAIRO_STATUS_SUCCESS;
}

/* The end of a writer: `out` to fp when s is SP_OK (else s is passed on),
 * then both buffers freed. */
static int finish(FILE *fp, int s, buffer *rendered, buffer *out)
{
  if (!s && fwrite(out->data, 1, out->n, fp) != out->n)
    s = SP_EIO;
  free(rendered->data);
  free(out->data);
  return s;
}

static cairo_status_t file_write(void *closure, const unsigned char *data, unsigned int len)
{
  return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static const char *meta_value(const sp_meta *meta, size_t n, const char *key)
{
  for (size_t i = 0; i < n; i++)
    if (meta[i].key && strcmp(meta[i].key, key) == 0)
      return meta[i].value;
  return NULL;
}

/* "key: value; key: value" of the metadata other than the skipped keys. */
static char *meta_join(const sp_meta *meta, size_t n, const char *sep)
{
  size_t len = 1;
  for (size_t i = 0; i < n; i++)
    if (meta[i].key && meta[i].value)
      len += strlen(meta[i].key) + strlen(meta[i].value) + 2 + strlen(sep);
  char *s = malloc(len);
  if (!s)
    return NULL;
  s[0] = '\0';
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!meta[i].key || !meta[i].value || strcmp(meta[i].key, "command") == 0
        || strcmp(meta[i].key, "sigprop") == 0)
      continue;
    k += (size_t)snprintf(s + k, len - k, "%s%s: %s", k ? sep : "", meta[i].key, meta[i].value);
  }
  return s;
}

static void put_be32(unsigned char *d, uint32_t v)
{
  d[0] = (unsigned char)(v >> 24);
  d[1] = (unsigned char)(v >> 16);
  d[2] = (unsigned char)(v >> 8);
  d[3] = (unsigned char)v;
}

/* Append an iTXt chunk (UTF-8 text) to out. */
static int png_text(buffer *out, const char *key, const char *text)
{
  size_t kl = strlen(key), tl = strlen(text), dl = kl + 5 + tl;
  unsigned char *c = malloc(dl + 12);
  if (!c)
    return SP_ENOMEM;
  put_be32(c, (uint32_t)dl);
  memcpy(c + 4, "iTXt", 4);
  memcpy(c + 8, key, kl);
  memset(c + 8 + kl, 0, 5); /* NUL, no compression, method 0, no language, no translation */
  memcpy(c + 8 + kl + 5, text, tl);
  put_be32(c + 8 + dl, (uint32_t)crc32(0L, c + 4, (uInt)(dl + 4)));
  int s = buffer_write(out, c, (unsigned)(dl + 12)) == CAIRO_STATUS_SUCCESS ? SP_OK : SP_ENOMEM;
  free(c);
  return s;
}

static int write_png(sp_plot *p, FILE *fp, double dpi, const sp_meta *meta, size_t nmeta)
{
  double k = dpi / 72.0, pw = 0.0, ph = 0.0;
  if (sp_plot_raster_size(p, dpi, &pw, &ph) || pw > SP_PLOT_MAX_PIXELS || ph > SP_PLOT_MAX_PIXELS)
    return SP_EINVAL;
  cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)pw, (int)ph);
  cairo_t *cr = cairo_create(sf);
  int s = cairo_status(cr) != CAIRO_STATUS_SUCCESS ? SP_ERENDER : SP_OK;
  if (!s) {
    cairo_scale(cr, k, k);
    s = sp_plot_draw(p, cr);
  }
  if (!s && (cairo_status(cr) != CAIRO_STATUS_SUCCESS
             || cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS))
    s = SP_ERENDER;
  cairo_destroy(cr);
  buffer png = {NULL, 0, 0};
  if (!s && cairo_surface_write_to_png_stream(sf, buffer_write, &png) != CAIRO_STATUS_SUCCESS)
    s = SP_ERENDER;
  cairo_surface_destroy(sf);
  /* Metadata chunks go right after IHDR (8-byte signature + 25 bytes). */
  buffer out = {NULL, 0, 0};
  if (!s && png.n < 33)
    s = SP_ERENDER;
  if (!s && buffer_write(&out, png.data, 33) != CAIRO_STATUS_SUCCESS)
    s = SP_ENOMEM;
  char *plain = sp_plot_markup_plain(p->title);
  const char *title = plain ? plain : "";
  if (!s && p->title && !plain)
    s = SP_ENOMEM;
  const char *sw = meta_value(meta, nmeta, "sigprop"), *cmd = meta_value(meta, nmeta, "command");
  char software[64];
  snprintf(software, sizeof software, "sigprop%s%s", sw ? " " : "", sw ? sw : "");
  if (!s && title[0])
    s = png_text(&out, "Title", title);
  if (!s)
    s = png_text(&out, "Software", software);
  if (!s && cmd)
    s = png_text(&out, "Description", cmd);
  char *rest = !s && nmeta ? meta_join(meta, nmeta, "\n") : NULL;
  if (!s && nmeta && !rest)
    s = SP_ENOMEM;
  if (!s && rest && rest[0])
    s = png_text(&out, "Comment", rest);
  free(rest);
  free(plain);
  if (!s && buffer_write(&out, png.data + 33, (unsigned)(png.n - 33)) != CAIRO_STATUS_SUCCESS)
    s = SP_ENOMEM;
  return finish(fp, s, &png, &out);
}

static int write_pdf(sp_plot *p, FILE *fp, const sp_meta *meta, size_t nmeta)
{
  cairo_surface_t *sf = cairo_pdf_surface_create_for_stream(file_write, fp, p->w, p->h);
  char *plain = sp_plot_markup_plain(p->title);
  const char *title = plain ? plain : "";
  const char *sw = meta_value(meta, nmeta, "sigprop"), *cmd = meta_value(meta, nmeta, "command");
  char creator[64];
  snprintf(creator, sizeof creator, "sigprop%s%s", sw ? " " : "", sw ? sw : "");
  char *rest = meta_join(meta, nmeta, "; ");
  int s = rest && (plain || !p->title) ? SP_OK : SP_ENOMEM;
  if (!s && cairo_surface_status(sf) == CAIRO_STATUS_SUCCESS) {
    /* No creation date: the same figure makes the same file. */
    cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATE_DATE, "");
    if (title[0])
      cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATOR, creator);
    if (cmd)
      cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_SUBJECT, cmd);
    if (rest[0])
      cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_KEYWORDS, rest);
  }
  free(rest);
  free(plain);
  cairo_t *cr = cairo_create(sf);
  if (!s)
    s = cairo_status(cr) != CAIRO_STATUS_SUCCESS ? SP_ERENDER : sp_plot_draw(p, cr);
  if (!s && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
    s = SP_ERENDER;
  cairo_destroy(cr);
  cairo_surface_finish(sf);
  cairo_status_t cs = cairo_surface_status(sf);
  cairo_surface_destroy(sf);
  if (!s && cs == CAIRO_STATUS_WRITE_ERROR)
    s = SP_EIO;
  else if (!s && cs != CAIRO_STATUS_SUCCESS)
    s = SP_ERENDER;
  return s;
}

/* XML-escaped copy of s appended to out (control characters dropped). */
static int xml_text(buffer *out, const char *s)
{
  for (; *s; s++) {
    const char *rep = NULL;
    switch (*s) {
    case '&': rep = "&amp;"; break;
    case '<': rep = "&lt;"; break;
    case '>': rep = "&gt;"; break;
    case '"': rep = "&quot;"; break;
    default: break;
    }
    if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
      continue;
    const char *w = rep ? rep : s;
    if (buffer_write(out, (const unsigned char *)w, rep ? (unsigned)strlen(rep) : 1u))
      return SP_ENOMEM;
  }
  return SP_OK;
}

static int xml_raw(buffer *out, const char *s)
{
  return buffer_write(out, (const unsigned char *)s, (unsigned)strlen(s)) ? SP_ENOMEM : SP_OK;
}

/* "\n<tag>text</tag>", the text escaped. */
static int xml_element(buffer *out, const char *tag, const char *text)
{
  char open[32], close[32];
  snprintf(open, sizeof open, "\n<%s>", tag);
  snprintf(close, sizeof close, "</%s>", tag);
  int s = xml_raw(out, open);
  s = s ? s : xml_text(out, text);
  return s ? s : xml_raw(out, close);
}

static int write_svg(sp_plot *p, FILE *fp, const sp_meta *meta, size_t nmeta)
{
  buffer svg = {NULL, 0, 0};
  cairo_surface_t *sf = cairo_svg_surface_create_for_stream(buffer_write, &svg, p->w, p->h);
  if (cairo_surface_status(sf) == CAIRO_STATUS_SUCCESS)
    cairo_svg_surface_set_document_unit(sf, CAIRO_SVG_UNIT_PT);
  cairo_t *cr = cairo_create(sf);
  int s = cairo_status(cr) != CAIRO_STATUS_SUCCESS ? SP_ERENDER : sp_plot_draw(p, cr);
  if (!s && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
    s = SP_ERENDER;
  cairo_destroy(cr);
  cairo_surface_finish(sf);
  if (!s && cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS)
    s = SP_ERENDER;
  cairo_surface_destroy(sf);
  /* Insert title, description and metadata after the root element's tag. */
  buffer out = {NULL, 0, 0};
  const char *root = NULL, *end = NULL;
  if (!s && svg.n && buffer_write(&svg, (const unsigned char *)"", 1) == CAIRO_STATUS_SUCCESS) {
    root = strstr((const char *)svg.data, "<svg");
    end = root ? strchr(root, '>') : NULL;
  }
  if (!s && !end)
    s = SP_ERENDER;
  if (!s) {
    size_t head = (size_t)(end + 1 - (const char *)svg.data);
    char *plain = sp_plot_markup_plain(p->title);
    const char *title = plain ? plain : "";
    const char *cmd = meta_value(meta, nmeta, "command");
    char *rest = meta_join(meta, nmeta, "\n");
    s = rest && (plain || !p->title) ? SP_OK : SP_ENOMEM;
    if (!s && buffer_write(&out, svg.data, (unsigned)head))
      s = SP_ENOMEM;
    if (!s && title[0]) {
      s = xml_element(&out, "title", title);
    }
    if (!s && cmd) {
      s = xml_element(&out, "desc", cmd);
    }
    if (!s && rest && rest[0]) {
      s = xml_element(&out, "metadata", rest);
    }
    free(rest);
    free(plain);
    /* The rest, without the NUL added above; images (the heat maps) are
     * marked for nearest-neighbour scaling, which Cairo does not write. */
    const char *rest_svg = (const char *)svg.data + head, *img;
    while (!s && (img = strstr(rest_svg, "<image "))) {
      size_t k = (size_t)(img - rest_svg) + 7;
      if (buffer_write(&out, (const unsigned char *)rest_svg, (unsigned)k))
        s = SP_ENOMEM;
      if (!s)
        s = xml_raw(&out, "image-rendering=\"optimizeSpeed\" "
                    "style=\"image-rendering:crisp-edges;image-rendering:pixelated\" ");
      rest_svg += k;
    }
    if (!s && xml_raw(&out, rest_svg))
      s = SP_ENOMEM;
  }
  return finish(fp, s, &svg, &out);
}

/* Free a copy made by meta_repaired. */
static void meta_free(sp_meta *m, size_t n)
{
  for (size_t i = 0; m && i < n; i++) {
    free((char *)m[i].key);
    free((char *)m[i].value);
  }
  free(m);
}

/* A copy of the metadata with keys and values repaired to UTF-8 (the
 * program's command line may hold any bytes); NULL when memory runs out. */
static sp_meta *meta_repaired(const sp_meta *meta, size_t n)
{
  sp_meta *m = calloc(n ? n : 1, sizeof *m);
  for (size_t i = 0; m && i < n; i++) {
    m[i].key = meta[i].key ? sp_utf8_dup(meta[i].key) : NULL;
    m[i].value = meta[i].value ? sp_utf8_dup(meta[i].value) : NULL;
    if ((meta[i].key && !m[i].key) || (meta[i].value && !m[i].value)) {
      meta_free(m, i + 1);
      return NULL;
    }
  }
  return m;
}

int sp_plot_write(sp_plot *p, FILE *fp, sp_format fmt, double dpi, const sp_meta *meta_in,
                  size_t nmeta)
{
  int s = sp_plot_check(p, 0, NULL);
  if (s)
    return s;
  if (!fp || (nmeta && !meta_in))
    return SP_EINVAL;
  sp_meta *meta = meta_repaired(meta_in, nmeta);
  if (!meta)
    return SP_ENOMEM;
  switch (fmt) {
  case SP_FMT_PNG:
    s = dpi >= 10.0 && dpi <= 2400.0 ? write_png(p, fp, dpi, meta, nmeta) : SP_EINVAL;
    break;
  case SP_FMT_PDF: s = write_pdf(p, fp, meta, nmeta); break;
  case SP_FMT_SVG: s = write_svg(p, fp, meta, nmeta); break;
  default: s = SP_EINVAL; break;
  }
  meta_free(meta, nmeta);
  if (s == SP_EINVAL)
    return s;
  if (!s && (fflush(fp) != 0 || ferror(fp)))
    s = SP_EIO;
  /* A failed write is not the figure's fault: only rendering errors stick. */
  if (s == SP_ERENDER || s == SP_ENOMEM)
    sp_plot_fail(p, s);
  return s;
}
