"""The time-bank API: orders and their steps, my 福分 and my 爱心存折 (党员积分), rewards and
redemption, voucher scanning and the wish wall. Every write is an actions call; a refusal is a
400 naming the field (portal.api.exception_handler); out-of-scope objects are 404."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from grids.scope import may_act_on
from volunteers import actions, ledger
from volunteers.api import serializers as s
from volunteers.models import (
    ON_THE_WALL,
    AccountKind,
    LedgerEntry,
    MicroWish,
    OrderStatus,
    PointType,
    Reward,
    ServiceOrder,
    Volunteer,
    Voucher,
    from_cents,
    to_cents,
)
from volunteers.models.ledger import Account


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders I asked for, orders I serve, open orders in my community, and (for staff)
    every order in their area."""

    serializer_class = s.OrderSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_fields = ["status", "category"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ServiceOrder.objects.none()
        user = self.request.user
        volunteer = Volunteer.objects.filter(user=user).first()
        q = Q(requester=user) | Q(volunteer__user=user)
        if volunteer:
            q |= Q(status=OrderStatus.OPEN, community=volunteer.community)
        staff = ServiceOrder.objects.visible_to(user).values("pk")
        return (
            ServiceOrder.objects.filter(q | Q(pk__in=staff))
            .select_related("category")
            .order_by("-scheduled_at", "-pk")
        )

    @extend_schema(request=s.OrderCreateSerializer, responses={201: s.OrderSerializer})
    def create(self, request):
        data = s.OrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        requester = request.user
        if "requester" in d:
            requester = get_user_model().objects.filter(pk=d.pop("requester")).first()
            if requester is None:
                return Response({"requester": ["No such resident."]}, status=400)
        community = actions.community_of(requester)
        if community is None:
            return Response(
                {"requester": ["The resident has no household in a community."]}, status=400
            )
        order = actions.place_order(
            actions.OrderIntake(requester=requester, community=community, **d), request.user
        )
        return Response(s.OrderSerializer(order).data, status=status.HTTP_201_CREATED)

    def _done(self, order):
        order.refresh_from_db()
        return Response(s.OrderSerializer(order).data)

    @extend_schema(request=None, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        order = self.get_object()
        actions.take_order(order, request.user)
        return self._done(order)

    @extend_schema(request=s.AssignSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        order = self.get_object()
        data = s.AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        volunteer = Volunteer.objects.filter(
            pk=data.validated_data["volunteer"], community=order.community
        ).first()
        if volunteer is None:
            return Response({"volunteer": ["No such volunteer in this community."]}, status=400)
        actions.assign_order(order, volunteer, request.user)
        return self._done(order)

    @extend_schema(request=s.ScanSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        order = self.get_object()
        d = self._scan(request)
        actions.check_in(order, request.user, d["token"], d.get("latitude"), d.get("longitude"))
        return self._done(order)

    @extend_schema(request=s.ScanSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        order = self.get_object()
        d = self._scan(request)
        actions.check_out(order, request.user, d["token"], d.get("latitude"), d.get("longitude"))
        return self._done(order)

    def _scan(self, request):
        data = s.ScanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["get"])
    def qr(self, request, pk=None):
        """The current check-in (or check-out) code, for the resident or staff to show."""
        order = self.get_object()
        if order.requester_id != request.user.pk and not may_act_on(request.user, order.community):
            raise Http404
        purpose = "out" if order.status == OrderStatus.IN_SERVICE else "in"
        return Response({"purpose": purpose, "token": actions.qr_token(order, purpose)})

    @extend_schema(request=s.RatingSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        order = self.get_object()
        data = s.RatingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        actions.confirm_order(order, request.user, d["rating"], d.get("comment", ""))
        return self._done(order)

    @extend_schema(request=None, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        order = self.get_object()
        actions.approve_order(order, request.user)
        return self._done(order)

    @extend_schema(request=None, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self.get_object()
        actions.cancel_order(order, request.user)
        return self._done(order)


class MyPointsView(APIView):
    """My 福分 balance and last 20 movements (two queries)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=s.PointsSerializer)
    def get(self, request):
        account = (
            Account.objects.filter(
                owner=request.user, kind=AccountKind.MEMBER, point_type__code=PointType.FUFEN
            )
            .select_related("balance_row")
            .first()
        )
        if account is None:
            return Response({"balance": "0.00", "history": []})
        entries = (
            LedgerEntry.objects.filter(account=account)
            .select_related("transaction")
            .order_by("-id")[:20]
        )
        body = {"balance": from_cents(account.balance_row.balance), "history": entries}
        return Response(s.PointsSerializer(body).data)


def _request_key(request, prefix: str) -> str:
    """The ledger key for a gift or donation: the client's Idempotency-Key (a retried POST
    gives the same transaction), else a fresh one."""
    import uuid

    return f"{prefix}:{request.user.pk}:{request.headers.get('Idempotency-Key') or uuid.uuid4()}"


class GiftView(APIView):
    """Give 福分 to a relative in my household."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=s.GiftSerializer, responses={201: dict})
    def post(self, request):
        data = s.GiftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recipient = get_user_model().objects.filter(pk=data.validated_data["recipient"]).first()
        if recipient is None:
            return Response({"recipient": ["No such person."]}, status=400)
        posted = ledger.gift(
            request.user,
            recipient,
            to_cents(data.validated_data["points"]),
            key=_request_key(request, "gift"),
        )
        return Response({"transaction": posted.transaction.pk}, status=status.HTTP_201_CREATED)


class DonateView(APIView):
    """Give 福分 to my community's donation pool."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=s.DonateSerializer, responses={201: dict})
    def post(self, request):
        data = s.DonateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        posted = ledger.donate(
            request.user,
            to_cents(data.validated_data["points"]),
            key=_request_key(request, "donate"),
        )
        return Response({"transaction": posted.transaction.pk}, status=status.HTTP_201_CREATED)


class PassbookView(APIView):
    """My 爱心存折 for a year (?year=, this year by default): 党员积分 only, with the hours
    against the yearly target (the same reading as /volunteers/passbook/)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=s.PassbookSerializer)
    def get(self, request):
        from django.utils import timezone

        from volunteers.passbook import passbook

        today = timezone.localdate()
        try:
            year = int(request.query_params.get("year", today.year))
        except ValueError:
            return Response({"year": ["Enter a year, e.g. 2026."]}, status=400)
        if not (2000 <= year <= today.year + 1):
            return Response({"year": ["Enter a year, e.g. 2026."]}, status=400)
        return Response(s.PassbookSerializer(passbook(request.user, year)).data)


class RewardViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The rewards I may redeem (my community's, and partner communities' under a 通存通兑
    agreement), with the price in 福分 and whether my balance reaches it."""

    serializer_class = s.RewardSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_value_regex = r"\d+"  # redeem() looks the id up itself: /rewards/null/ is a 404

    def get_queryset(self):
        return Reward.objects.none()  # the list is actions.offers_for; see list()

    @extend_schema(responses=s.RewardSerializer(many=True))
    def list(self, request):
        _balance, offers = actions.offers_for(request.user)
        page = self.paginate_queryset(offers)
        return self.get_paginated_response(s.RewardSerializer(page, many=True).data)

    @extend_schema(request=None, responses={201: s.VoucherSerializer})
    @action(detail=True, methods=["post"])
    def redeem(self, request, pk=None):
        """Redeem one reward. Any active reward may be named; whether this member may redeem
        it (their community or a partner's, their balance, the stock) is the action's to say,
        as a 400 naming the field."""
        reward = Reward.objects.filter(pk=pk, active=True).select_related("community").first()
        if reward is None:
            raise Http404
        key = request.headers.get("Idempotency-Key") or None
        voucher = actions.redeem_reward(request.user, reward, key=key)
        return Response(s.VoucherSerializer(voucher).data, status=status.HTTP_201_CREATED)


class VoucherViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """My vouchers; the shop (staff) scans one with POST /vouchers/use/."""

    serializer_class = s.VoucherSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Voucher.objects.none()
        return (
            Voucher.objects.filter(holder=self.request.user)
            .select_related("reward")
            .order_by("-pk")
        )

    @extend_schema(request=s.VoucherScanSerializer, responses=s.VoucherSerializer)
    @action(detail=False, methods=["post"])
    def use(self, request):
        data = s.VoucherScanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        voucher = actions.use_voucher(data.validated_data["code"], request.user)
        return Response(s.VoucherSerializer(voucher).data)


class WishWallViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The public wish wall (no login, no private details); logged-in party members and unit
    members claim a wish and mark it fulfilled."""

    serializer_class = s.WishSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    # Only what the community approved: a wish waiting for review (or refused) is not public.
    queryset = (
        MicroWish.objects.filter(status__in=ON_THE_WALL)
        .select_related("community")
        .order_by("status", "-created_at")
    )

    @extend_schema(request=None, responses=s.WishSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        wish = actions.claim_wish(self.get_object(), request.user)
        return Response(s.WishSerializer(wish).data)

    @extend_schema(request=None, responses=s.WishSerializer)
    @action(detail=True, methods=["post"])
    def fulfil(self, request, pk=None):
        wish = actions.fulfil_wish(self.get_object(), request.user)
        return Response(s.WishSerializer(wish).data)
