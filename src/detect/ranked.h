/* Items ranked by score, highest first, equal scores by index (a stable descending order, torch.sort's
 * stable=True and numpy's mergesort on -score): NMS visits boxes so and COCO's evaluation pools detections so. */
#ifndef FV_DETECT_RANKED_H
#define FV_DETECT_RANKED_H

#include <stdint.h>

typedef struct {
    float score;
    int64_t index;
} fv_ranked;

/* qsort's comparison for fv_ranked */
static inline int fv_by_score(const void *pa, const void *pb)
{
    const fv_ranked *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

#endif
