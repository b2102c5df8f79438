/* curl-fanout.c: what a C program on libcurl would do, and the floor of
 * convened's own sending: one easy handle, one connection, one
 * curl_easy_perform() per message, nothing else.
 *
 *	curl-fanout COUNT PORT MESSAGE-FILE
 *
 * Sends the bytes of MESSAGE-FILE (CRLF line ends) COUNT times to
 * 127.0.0.1:PORT, each to its own recipient.  bench.py builds it with
 * cc and -lcurl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct msg {
	char   *data;
	size_t  len;
	size_t  pos;
};

static size_t
read_cb(char *out, size_t size, size_t nitems, void *arg)
{
	struct msg *m = arg;
	size_t n = size * nitems;

	if (n > m->len - m->pos)
		n = m->len - m->pos;
	memcpy(out, m->data + m->pos, n);
	m->pos += n;
	return n;
}

static int
load(const char *path, struct msg *m)
{
	FILE *f;
	long n;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		return -1;
	m->len = (size_t)n;
	if ((m->data = malloc(m->len + 1)) == NULL ||
	    fread(m->data, 1, m->len, f) != m->len) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	struct curl_slist *rcpt;
	struct msg m = { 0 };
	char url[64], to[64];
	long i, count;
	CURLcode rc;
	CURL *c;

	if (argc != 4 || (count = atol(argv[1])) < 1) {
		fprintf(stderr, "usage: curl-fanout COUNT PORT MESSAGE-FILE\n");
		return 2;
	}
	if (load(argv[3], &m) == -1) {
		perror(argv[3]);
		return 1;
	}
	snprintf(url, sizeof url, "smtp://127.0.0.1:%s", argv[2]);
	if ((c = curl_easy_init()) == NULL)
		return 1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM,
	    "<agenda@conferencia.example.org>");
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &m);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)m.len);
	for (i = 0; i < count; i++) {
		snprintf(to, sizeof to, "<m%ld@mides.example.org>", i);
		if ((rcpt = curl_slist_append(NULL, to)) == NULL)
			return 1;
		curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
		m.pos = 0;
		rc = curl_easy_perform(c);
		curl_slist_free_all(rcpt);
		if (rc != CURLE_OK) {
			fprintf(stderr, "curl-fanout: message %ld: %s\n", i,
			    curl_easy_strerror(rc));
			return 1;
		}
	}
	curl_easy_cleanup(c);
	free(m.data);
	return 0;
}
