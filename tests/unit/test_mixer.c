/* Tests of media/mixer.c: two tones mix to their exact sum; sums beyond full scale saturate
 * in both directions; mono inputs into a stereo mix and stereo inputs into a mono mix; an
 * input removed mid-way (head, middle and tail of the list) stops contributing; inputs that
 * never received anything contribute silence without counting underruns, drained inputs
 * count them; no inputs give silence; a full FIFO drops and counts; mix sizes that are not
 * a multiple of the 20 ms block; argument checks and allocation failures. */
#include "test.h"

#include "media/mixer.h"
#include "meshrtc/error.h"
#include "meshrtc/frame.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#define FRAME MRTC_AUDIO_FRAME_SAMPLES

static void tone(int16_t *x, size_t n, unsigned channels, double f, double amp, size_t start)
{
    for (size_t i = 0; i < n; i++)
        for (unsigned c = 0; c < channels; c++)
            x[i * channels + c] =
                (int16_t)lrint(amp * sin(2.0 * M_PI * f * (double)(start + i) / 48000.0));
}

static void test_two_tones_sum(void)
{
    mrtc_mixer *m = NULL;
    mrtc_mixer_input *a = NULL, *b = NULL;
    int16_t ta[3 * FRAME], tb[3 * FRAME], out[3 * FRAME];

    CHECK_EQ(mrtc_mixer_new(1, &m), 0);
    CHECK_EQ(mrtc_mixer_input_new(m, 1, &a), 0);
    CHECK_EQ(mrtc_mixer_input_new(m, 1, &b), 0);
    if (!a || !b)
        goto out;
    CHECK_EQ(mrtc_mixer_input_count(m), 2);
    tone(ta, 3 * FRAME, 1, 1000.0, 8000.0, 0);
    tone(tb, 3 * FRAME, 1, 2500.0, 6000.0, 0);
    /* Fed in 20 ms frames, mixed in other sizes. */
    for (int k = 0; k < 3; k++) {
        CHECK_EQ(mrtc_mixer_input_push(a, ta + k * FRAME, FRAME), FRAME);
        CHECK_EQ(mrtc_mixer_input_push(b, tb + k * FRAME, FRAME), FRAME);
    }
    mrtc_mixer_mix(m, out, 1000);
    mrtc_mixer_mix(m, out + 1000, 3 * FRAME - 1000);
    size_t bad = 0;
    for (size_t i = 0; i < 3 * FRAME; i++)
        bad += out[i] != ta[i] + tb[i];
    CHECK_EQ(bad, 0);
    mrtc_mixer_input_stats st;
    mrtc_mixer_input_get_stats(a, &st);
    CHECK_U64(st.pushed_frames, 3 * FRAME);
    CHECK_U64(st.mixed_frames, 3 * FRAME);
    CHECK_U64(st.underruns, 0);
    CHECK_EQ(st.queued_frames, 0);
out:
    mrtc_mixer_free(m); /* frees both inputs */
}

static void test_saturation(void)
{
    mrtc_mixer *m = NULL;
    mrtc_mixer_input *in[3] = {NULL};
    int16_t hi[4] = {30000, -30000, 20000, -20000};
    int16_t lo[4] = {30000, -30000, -20000, 20000};
    int16_t out[4];

    CHECK_EQ(mrtc_mixer_new(1, &m), 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(mrtc_mixer_input_new(m, 1, &in[i]), 0);
    if (!in[2])
        goto out;
    mrtc_mixer_input_push(in[0], hi, 4);
    mrtc_mixer_input_push(in[1], lo, 4);
    mrtc_mixer_input_push(in[2], hi, 4);
    mrtc_mixer_mix(m, out, 4);
    /* 90000 -> 32767, -90000 -> -32768, 20000 stays, -20000 stays. */
    CHECK_EQ(out[0], 32767);
    CHECK_EQ(out[1], -32768);
    CHECK_EQ(out[2], 20000);
    CHECK_EQ(out[3], -20000);
out:
    mrtc_mixer_free(m);
}

static void test_channel_layouts(void)
{
    mrtc_mixer *st = NULL, *mono = NULL;
    mrtc_mixer_input *m_in = NULL, *s_in = NULL, *s_in2 = NULL;
    int16_t mono_pcm[3] = {100, -200, 300};
    int16_t stereo_pcm[6] = {10, 20, -30, -41, 1000, 3000};
    int16_t out[6];

    CHECK_EQ(mrtc_mixer_new(2, &st), 0);
    CHECK_EQ(mrtc_mixer_input_new(st, 1, &m_in), 0);
    CHECK_EQ(mrtc_mixer_input_new(st, 2, &s_in), 0);
    if (!m_in || !s_in)
        goto out;
    mrtc_mixer_input_push(m_in, mono_pcm, 3);
    mrtc_mixer_input_push(s_in, stereo_pcm, 3);
    mrtc_mixer_mix(st, out, 3);
    static const int16_t want_st[6] = {110, 120, -230, -241, 1300, 3300};
    CHECK_MEM(out, want_st, sizeof want_st);

    CHECK_EQ(mrtc_mixer_new(1, &mono), 0);
    CHECK_EQ(mrtc_mixer_input_new(mono, 2, &s_in2), 0);
    if (!s_in2)
        goto out;
    mrtc_mixer_input_push(s_in2, stereo_pcm, 3);
    mrtc_mixer_mix(mono, out, 3);
    static const int16_t want_mono[3] = {15, -36, 2000};
    CHECK_MEM(out, want_mono, sizeof want_mono);
out:
    mrtc_mixer_free(st);
    mrtc_mixer_free(mono);
}

/* Three inputs, each a constant; removing one between mixes removes its constant. */
static void test_input_removed(void)
{
    static const int16_t level[3] = {1, 10, 100};
    for (int victim = 0; victim < 3; victim++) {
        mrtc_mixer *m = NULL;
        mrtc_mixer_input *in[3] = {NULL};
        int16_t pcm[2 * FRAME], out[2 * FRAME];

        CHECK_EQ(mrtc_mixer_new(1, &m), 0);
        for (int i = 0; i < 3; i++)
            CHECK_EQ(mrtc_mixer_input_new(m, 1, &in[i]), 0);
        if (!in[2]) {
            mrtc_mixer_free(m);
            continue;
        }
        for (int i = 0; i < 3; i++) {
            for (size_t k = 0; k < 2 * FRAME; k++)
                pcm[k] = level[i];
            mrtc_mixer_input_push(in[i], pcm, 2 * FRAME);
        }
        mrtc_mixer_mix(m, out, FRAME);
        CHECK_EQ(out[0], 111);
        CHECK_EQ(out[FRAME - 1], 111);
        mrtc_mixer_input_free(in[victim]); /* with a frame still queued */
        CHECK_EQ(mrtc_mixer_input_count(m), 2);
        mrtc_mixer_mix(m, out, FRAME);
        CHECK_EQ(out[0], 111 - level[victim]);
        CHECK_EQ(out[FRAME - 1], 111 - level[victim]);
        /* The others still mix and can still be removed. */
        for (int i = 0; i < 3; i++)
            if (i != victim)
                mrtc_mixer_input_free(in[i]);
        CHECK_EQ(mrtc_mixer_input_count(m), 0);
        mrtc_mixer_mix(m, out, 4);
        CHECK_EQ(out[0] | out[1] | out[2] | out[3], 0);
        mrtc_mixer_free(m);
    }
    mrtc_mixer_input_free(NULL);
}

static void test_empty_inputs(void)
{
    mrtc_mixer *m = NULL;
    mrtc_mixer_input *idle = NULL, *talker = NULL;
    int16_t out[2 * 2 * FRAME], pcm[2 * 500];
    mrtc_mixer_input_stats st;

    CHECK_EQ(mrtc_mixer_new(2, &m), 0);
    if (!m)
        return;
    /* No inputs: silence. */
    for (size_t i = 0; i < 2 * 2 * FRAME; i++)
        out[i] = 7;
    mrtc_mixer_mix(m, out, 2 * FRAME);
    size_t nonzero = 0;
    for (size_t i = 0; i < 2 * 2 * FRAME; i++)
        nonzero += out[i] != 0;
    CHECK_EQ(nonzero, 0);

    CHECK_EQ(mrtc_mixer_input_new(m, 2, &idle), 0);
    CHECK_EQ(mrtc_mixer_input_new(m, 1, &talker), 0);
    if (!idle || !talker)
        goto out;
    for (size_t i = 0; i < 500; i++)
        pcm[i] = 1000;
    CHECK_EQ(mrtc_mixer_input_push(talker, pcm, 500), 500);
    /* Two blocks: the talker covers 500 frames of the first, then runs dry. */
    mrtc_mixer_mix(m, out, 2 * FRAME);
    CHECK_EQ(out[0], 1000);
    CHECK_EQ(out[2 * 499 + 1], 1000);
    CHECK_EQ(out[2 * 500], 0);
    CHECK_EQ(out[2 * (2 * FRAME) - 1], 0);

    mrtc_mixer_input_get_stats(idle, &st); /* never started: no underruns */
    CHECK_U64(st.underruns, 0);
    CHECK_U64(st.mixed_frames, 0);
    mrtc_mixer_input_get_stats(talker, &st);
    CHECK_U64(st.mixed_frames, 500);
    CHECK_U64(st.underruns, 2);
    CHECK_U64(st.underrun_frames, 2 * FRAME - 500);
out:
    mrtc_mixer_free(m);
}

static void test_fifo_full(void)
{
    mrtc_mixer *m = NULL;
    mrtc_mixer_input *in = NULL;
    int16_t pcm[2 * FRAME] = {0};
    mrtc_mixer_input_stats st;
    size_t accepted = 0;

    CHECK_EQ(mrtc_mixer_new(2, &m), 0);
    CHECK_EQ(mrtc_mixer_input_new(m, 2, &in), 0);
    if (!in)
        goto out;
    /* Push one second: the FIFO takes its capacity (at least 200 ms), on frame boundaries. */
    for (int k = 0; k < 50; k++)
        accepted += mrtc_mixer_input_push(in, pcm, FRAME);
    CHECK(accepted >= MRTC_MIXER_DEFAULT_INPUT_FRAMES);
    CHECK(accepted < 50 * FRAME);
    mrtc_mixer_input_get_stats(in, &st);
    CHECK_U64(st.pushed_frames, accepted);
    CHECK_U64(st.dropped_frames, 50 * FRAME - accepted);
    CHECK_EQ(st.queued_frames, accepted);
    CHECK_EQ(mrtc_mixer_input_push(in, pcm, 0), 0);
    CHECK_EQ(mrtc_mixer_input_push(in, NULL, 5), 0);
    CHECK_EQ(mrtc_mixer_input_push(NULL, pcm, 5), 0);
out:
    mrtc_mixer_free(m);
}

static void test_invalid(void)
{
    mrtc_mixer *m = (mrtc_mixer *)1;
    mrtc_mixer_input *in = (mrtc_mixer_input *)1;

    CHECK_EQ(mrtc_mixer_new(0, &m), MRTC_EINVAL);
    CHECK(m == NULL);
    CHECK_EQ(mrtc_mixer_new(3, &m), MRTC_EINVAL);
    CHECK_EQ(mrtc_mixer_new(1, NULL), MRTC_EINVAL);
    mrtc_mixer_free(NULL);

    mrtc_alloc_fail_after(1);
    CHECK_EQ(mrtc_mixer_new(1, &m), MRTC_ENOMEM);
    mrtc_alloc_fail_after(0);

    CHECK_EQ(mrtc_mixer_new(1, &m), 0);
    if (!m)
        return;
    CHECK_EQ(mrtc_mixer_input_new(m, 3, &in), MRTC_EINVAL);
    CHECK(in == NULL);
    CHECK_EQ(mrtc_mixer_input_new(NULL, 1, &in), MRTC_EINVAL);
    CHECK_EQ(mrtc_mixer_input_new(m, 1, NULL), MRTC_EINVAL);
    for (long k = 1; k <= 3; k++) {
        mrtc_alloc_fail_after(k);
        CHECK_EQ(mrtc_mixer_input_new(m, 1, &in), MRTC_ENOMEM);
        mrtc_alloc_fail_after(0);
        CHECK_EQ(mrtc_mixer_input_count(m), 0);
    }
    mrtc_mixer_free(m);
}

int main(void)
{
    RUN(test_two_tones_sum);
    RUN(test_saturation);
    RUN(test_channel_layouts);
    RUN(test_input_removed);
    RUN(test_empty_inputs);
    RUN(test_fifo_full);
    RUN(test_invalid);
    return test_finish();
}
